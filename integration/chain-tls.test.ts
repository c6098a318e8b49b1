// TLS through the chain, with real clients: SNI passthrough (curl --resolve), ALPN routing
// (openssl s_client -alpn), a ClientHello written in two TCP segments, and tls_terminate into
// HTTP routes.
import t from 'tap'
import net from 'node:net'
import tls from 'node:tls'
import { Duplex } from 'node:stream'
import { chainGateway, curl, makeCert, markerServer, run } from './harness/chain.ts'

t.test('SNI passthrough: each name reaches its own TLS upstream, end to end', async t => {
  const dir = t.testdir()
  const certA = await makeCert(dir, 'a', ['a.example.test'])
  const certB = await makeCert(dir, 'b', ['b.example.test'])
  const upA = await markerServer(t, 'upstream-a', certA)
  const upB = await markerServer(t, 'upstream-b', certB)
  const gw = await chainGateway(t, dir, {
    stacks: [{ id: 'tls', listen: '127.0.0.1:0', chain: 'sni' }],
    chains: {
      sni: {
        probe: ['tls'],
        routes: [
          { id: 'a', match: { sni: 'a.example.test' }, process: { forward: `tcp://127.0.0.1:${upA.port}` } },
          { id: 'b', match: { sni: 'b.example.test' }, process: { forward: `tcp://127.0.0.1:${upB.port}` } },
          { id: 'other', process: { reject: true } }
        ]
      }
    }
  })
  const port = gw.port.tls
  for (const [name, cert, marker] of [['a.example.test', certA, 'upstream-a'], ['b.example.test', certB, 'upstream-b']] as const) {
    const r = await curl(['--fail', '--resolve', `${name}:${port}:127.0.0.1`, '--cacert', cert.certFile, `https://${name}:${port}/hello`])
    t.equal(r.code, 0, r.stderr)
    t.equal(r.stdout, `${marker} /hello`, `${name} reached ${marker} and the certificate verified`)
  }
  // A name no route serves is closed: curl fails in the handshake.
  const r = await curl(['--resolve', `c.example.test:${port}:127.0.0.1`, '-k', `https://c.example.test:${port}/`])
  t.not(r.code, 0, 'an unknown name gets no answer')
  const line = await gw.proc.waitFor(l => l.msg === 'access' && l.route === 'other')
  t.equal(line.sni, 'c.example.test')
  t.equal(line.error, 'CHAIN_ERR_REJECTED')
  const ok = await gw.proc.waitFor(l => l.msg === 'access' && l.route === 'a')
  t.match(ok, { stack: 'tls', chain: 'sni', upstream: `tcp://127.0.0.1:${upA.port}` })
  t.ok(ok.bytesIn > 0 && ok.bytesOut > 0, 'the access log counts bytes each way')
})

t.test('ALPN routing, checked with openssl s_client -alpn', async t => {
  const dir = t.testdir()
  const acme = await makeCert(dir, 'acme', ['acme-responder.example.test'])
  const web = await makeCert(dir, 'web', ['web.example.test'])
  const upAcme = await markerServer(t, 'acme', { ...acme, alpn: ['acme-tls/1'] })
  const upWeb = await markerServer(t, 'web', { ...web, alpn: ['h2', 'http/1.1'] })
  const gw = await chainGateway(t, dir, {
    stacks: [{ id: 'tls', listen: '127.0.0.1:0', chain: 'in' }],
    chains: {
      in: {
        probe: ['tls'],
        routes: [
          { id: 'acme', match: { alpn: 'acme-tls/1' }, process: { forward: `tcp://127.0.0.1:${upAcme.port}` } },
          { id: 'web', process: { forward: `tcp://127.0.0.1:${upWeb.port}` } }
        ]
      }
    }
  })
  const sclient = async (alpn: string): Promise<string> => {
    const r = await run('openssl', ['s_client', '-connect', gw.addr.tls, '-servername', 'x.example.test', '-alpn', alpn], 'Q\n')
    return r.stdout + r.stderr
  }
  const a = await sclient('acme-tls/1')
  t.match(a, /CN\s*=\s*acme-responder\.example\.test/, 'acme-tls/1 reaches the ACME responder')
  t.match(a, /ALPN protocol: acme-tls\/1/)
  const w = await sclient('http/1.1')
  t.match(w, /CN\s*=\s*web\.example\.test/, 'http/1.1 reaches the web server')
  t.match(w, /ALPN protocol: http\/1\.1/)
})

t.test('a ClientHello written in two TCP segments is reassembled and routed by its SNI', async t => {
  const dir = t.testdir()
  const cert = await makeCert(dir, 'split', ['split.example.test'])
  const up = await markerServer(t, 'split-upstream', cert)
  const decoy = await markerServer(t, 'decoy', await makeCert(dir, 'decoy', ['decoy.example.test']))
  const gw = await chainGateway(t, dir, {
    stacks: [{ id: 'tls', listen: '127.0.0.1:0', chain: 'in' }],
    chains: {
      in: {
        probe: ['tls'],
        routes: [
          { match: { sni: 'split.example.test' }, process: { forward: `tcp://127.0.0.1:${up.port}` } },
          { process: { forward: `tcp://127.0.0.1:${decoy.port}` } }
        ]
      }
    }
  })
  // The TLS client writes through a Duplex of ours, which sends its first write (the
  // ClientHello) to the socket as two segments 100 ms apart.
  const raw = net.connect(gw.port.tls, '127.0.0.1')
  raw.setNoDelay(true)
  await new Promise(resolve => raw.once('connect', resolve))
  let first = true
  let segments = 0
  const splitter: Duplex = new Duplex({
    write (chunk: Buffer, _enc, cb) {
      if (!first) { raw.write(chunk, cb); return }
      first = false
      raw.write(chunk.subarray(0, 40)); segments++
      setTimeout(() => { segments++; raw.write(chunk.subarray(40), cb) }, 100)
    },
    final (cb) { raw.end(); cb() },
    read () { raw.resume() }
  })
  raw.on('data', (d: Buffer) => { if (!splitter.push(d)) raw.pause() })
  raw.on('end', () => splitter.push(null))
  raw.on('error', (err) => splitter.destroy(err))
  t.teardown(() => raw.destroy())
  const sock = tls.connect({ socket: splitter, servername: 'split.example.test', ca: cert.cert })
  await new Promise<void>((resolve, reject) => { sock.once('secureConnect', resolve); sock.once('error', reject) })
  sock.write('GET /two-segments HTTP/1.1\r\nHost: split.example.test\r\nConnection: close\r\n\r\n')
  let body = ''
  for await (const d of sock) body += String(d)
  t.equal(segments, 2, 'the hello went out in two writes')
  t.match(body, /split-upstream \/two-segments/, 'routed by the SNI of the reassembled hello, certificate verified')
})

t.test('tls_terminate then HTTP routes by Host, with X-Forwarded-* and a response filter', async t => {
  const dir = t.testdir()
  const cert = await makeCert(dir, 'zone', ['example.test', '*.example.test'])
  const app = await markerServer(t, 'app')
  const api = await markerServer(t, 'api')
  const gw = await chainGateway(t, dir, {
    stacks: [{ id: 'https', listen: '127.0.0.1:0', chain: 'in' }],
    chains: {
      in: {
        probe: ['tls'],
        routes: [{ match: { sni: ['example.test', '*.example.test'] }, process: { tls_terminate: { certs: [{ cert: cert.certFile, key: cert.keyFile }] }, then: 'web' } }]
      },
      web: {
        probe: ['http'],
        routes: [
          { id: 'api', match: { host: 'app.example.test', path_prefix: '/api' }, process: { http_proxy: { upstreams: [`tcp://127.0.0.1:${api.port}`], rewrite: { strip_prefix: '/api' } } } },
          { id: 'app', match: { host: 'app.example.test' }, process: { http_proxy: `tcp://127.0.0.1:${app.port}` } },
          { id: 'none', process: { respond: { status: 404, body: 'no such site\n' } } }
        ],
        post_resp_filter: [{ set_header: { 'strict-transport-security': 'max-age=31536000' } }, { remove_header: 'server' }]
      }
    }
  })
  const port = gw.port.https
  const base = ['--resolve', `app.example.test:${port}:127.0.0.1`, '--resolve', `www.example.test:${port}:127.0.0.1`, '--cacert', cert.certFile]
  const r1 = await curl([...base, '-i', `https://app.example.test:${port}/api/users?id=7`])
  t.equal(r1.code, 0, r1.stderr)
  t.match(r1.stdout, /^HTTP\/1\.1 200/)
  t.match(r1.stdout, /api \/users\?id=7$/, 'strip_prefix removed /api')
  t.match(r1.stdout, /strict-transport-security: max-age=31536000/i, 'the chain filter set a header')
  t.notMatch(r1.stdout, /^server:/im, 'the chain filter removed Server')
  const seen = api.seen[api.seen.length - 1]
  t.equal(seen.headers['x-forwarded-proto'], 'https')
  t.match(String(seen.headers['x-forwarded-for']), /127\.0\.0\.1/)
  t.equal(seen.headers.host, `app.example.test:${port}`, 'Host kept')
  const r2 = await curl([...base, `https://app.example.test:${port}/index.html`])
  t.equal(r2.stdout, 'app /index.html')
  const r3 = await curl([...base, '-i', `https://www.example.test:${port}/`])
  t.match(r3.stdout, /^HTTP\/1\.1 404/)
  t.match(r3.stdout, /no such site/)
  // Several requests on one keep-alive connection are each routed on their own.
  const r4 = await curl([...base, `https://app.example.test:${port}/api/one`, `https://app.example.test:${port}/two`])
  t.equal(r4.stdout, 'api /oneapp /two')
})
