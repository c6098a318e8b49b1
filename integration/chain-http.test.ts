// HTTP and TCP actions through the chain, with real clients and upstreams: Host routing, failover,
// PROXY v2 to the upstream, PROXY headers in from a trusted address, websockets through
// http_proxy, serve, redirect and respond.
import t from 'tap'
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chainGateway, curl, markerServer, rawServer } from './harness/chain.ts'
import { closedPort } from '../test/helpers/free-port.ts'
import { parseProxyHeader, encodeProxyV2 } from '../src/chain/probes/proxy-protocol.ts'
import { startDanted, DANTED_SKIP } from '../test/helpers/socks-peers.ts'

t.test('HTTP routing by Host with curl --resolve; serve, redirect and respond', async t => {
  const dir = t.testdir()
  await mkdir(join(dir, 'site'))
  await writeFile(join(dir, 'site', 'index.html'), '<h1>static</h1>\n')
  const one = await markerServer(t, 'one')
  const two = await markerServer(t, 'two')
  const gw = await chainGateway(t, dir, {
    stacks: [{ id: 'web', listen: '127.0.0.1:0', chain: 'web' }],
    chains: {
      web: {
        probe: ['http'],
        routes: [
          { id: 'one', match: { host: 'one.example.test' }, process: { http_proxy: `tcp://127.0.0.1:${one.port}` } },
          { id: 'two', match: { host: ['two.example.test', '*.two.example.test'] }, process: { forward: `tcp://127.0.0.1:${two.port}` } },
          { id: 'static', match: { host: 'static.example.test' }, process: { serve: join(dir, 'site') } },
          { id: 'moved', match: { host: 'old.example.test' }, process: { redirect: { to: 'https://new.example.test{uri}', status: 301 } } },
          { id: 'teapot', match: { path_prefix: '/tea', method: 'POST' }, process: { respond: { status: 418, headers: { 'x-brew': '{method} {path}' }, body: 'short and stout\n' } } },
          { id: 'fallback', process: { reject: { status: 421 } } }
        ]
      }
    }
  })
  const p = gw.port.web
  const res = (host: string): string[] => ['--resolve', `${host}:${p}:127.0.0.1`]
  t.equal((await curl([...res('one.example.test'), `http://one.example.test:${p}/a`])).stdout, 'one /a')
  t.equal((await curl([...res('two.example.test'), `http://two.example.test:${p}/b`])).stdout, 'two /b')
  t.equal((await curl([...res('x.two.example.test'), `http://x.two.example.test:${p}/c`])).stdout, 'two /c', 'wildcard host')
  const st = await curl([...res('static.example.test'), '-i', `http://static.example.test:${p}/`])
  t.match(st.stdout, /^HTTP\/1\.1 200/)
  t.match(st.stdout, /content-type: text\/html/i)
  t.match(st.stdout, /<h1>static<\/h1>/)
  const mv = await curl([...res('old.example.test'), '-i', `http://old.example.test:${p}/x/y?z=1`])
  t.match(mv.stdout, /^HTTP\/1\.1 301/)
  t.match(mv.stdout, /location: https:\/\/new\.example\.test\/x\/y\?z=1/i)
  const tea = await curl([...res('any.example.test'), '-i', '-X', 'POST', '-d', 'x', `http://any.example.test:${p}/tea`])
  t.match(tea.stdout, /^HTTP\/1\.1 418/)
  t.match(tea.stdout, /x-brew: POST \/tea/i)
  t.match(tea.stdout, /short and stout/)
  const no = await curl([...res('nobody.example.test'), '-i', `http://nobody.example.test:${p}/`])
  t.match(no.stdout, /^HTTP\/1\.1 421/)
  const line = await gw.proc.waitFor(l => l.msg === 'access' && l.route === 'one')
  t.match(line, { stack: 'web', chain: 'web', host: 'one.example.test', method: 'GET', path: '/a', status: 200 })
  t.type(line.ms, 'number')
})

t.test('failover: the first upstream is down, every request still succeeds', async t => {
  const dir = t.testdir()
  const live = await markerServer(t, 'live')
  const dead = await closedPort()
  const gw = await chainGateway(t, dir, {
    stacks: [
      { id: 'tcp', listen: '127.0.0.1:0', chain: 'tcp' },
      { id: 'http', listen: '127.0.0.1:0', chain: 'http' }
    ],
    chains: {
      tcp: { probe: [], routes: [{ process: { forward: { upstreams: [`tcp://127.0.0.1:${dead}`, `tcp://127.0.0.1:${live.port}`], tries: 2, connect_timeout: '2s' } } }] },
      http: { probe: ['http'], routes: [{ process: { http_proxy: { upstreams: [`tcp://127.0.0.1:${dead}`, `tcp://127.0.0.1:${live.port}`], tries: 2 } } }] }
    }
  })
  for (let i = 0; i < 6; i++) {
    const a = await curl(['--fail', `http://${gw.addr.tcp}/t${i}`])
    t.equal(a.stdout, `live /t${i}`, `tcp forward ${i}: ${a.stderr}`)
    const b = await curl(['--fail', `http://${gw.addr.http}/h${i}`])
    t.equal(b.stdout, `live /h${i}`, `http_proxy ${i}: ${b.stderr}`)
  }
})

t.test('PROXY v2 to the upstream carries the real client address', async t => {
  const dir = t.testdir()
  const up = await rawServer(t, 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok')
  const gw = await chainGateway(t, dir, {
    stacks: [{ id: 'in', listen: '127.0.0.1:0', chain: 'in' }],
    chains: { in: { probe: [], routes: [{ process: { forward: { upstreams: [`tcp://127.0.0.1:${up.port}`], proxy_protocol: 'v2' } } }] } }
  })
  const client = net.connect(gw.port.in, '127.0.0.1')
  await once(client, 'connect')
  const clientPort = client.localPort
  client.end('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  let reply = ''
  for await (const d of client) reply += String(d)
  t.match(reply, /ok$/)
  const first = up.first[0]
  const parsed = parseProxyHeader(first)
  t.equal(parsed.status, 'done', 'the upstream got a PROXY v2 header first')
  if (parsed.status !== 'done') return
  t.equal(parsed.header.version, 2)
  t.equal(parsed.header.source?.address, '127.0.0.1')
  t.equal(parsed.header.source?.port, clientPort, 'with the client\'s own port')
  t.equal(parsed.header.destination?.port, gw.port.in)
  t.equal(first.subarray(parsed.bytes).toString().split('\r\n')[0], 'GET / HTTP/1.1', 'then the client\'s bytes, untouched')
})

t.test('PROXY header in: believed from trusted_proxies (X-Forwarded-For shows it), refused otherwise', async t => {
  const dir = t.testdir()
  const up = await markerServer(t, 'behind')
  const gw = await chainGateway(t, dir, {
    stacks: [
      { id: 'trusting', listen: '127.0.0.1:0', chain: 'trusting' },
      { id: 'wary', listen: '127.0.0.1:0', chain: 'wary' }
    ],
    chains: {
      trusting: { probe: ['proxy_protocol', 'http'], trusted_proxies: ['127.0.0.0/8'], routes: [{ match: { source: '203.0.113.0/24' }, process: { http_proxy: `tcp://127.0.0.1:${up.port}` } }, { process: { reject: true } }] },
      wary: { probe: ['proxy_protocol', 'http'], trusted_proxies: ['10.0.0.0/8'], routes: [{ process: { http_proxy: `tcp://127.0.0.1:${up.port}` } }] }
    }
  })
  const send = async (port: number): Promise<string> => {
    const s = net.connect(port, '127.0.0.1')
    await once(s, 'connect')
    s.on('error', () => {})
    s.write(encodeProxyV2({ address: '203.0.113.9', port: 40000 }, { address: '198.51.100.1', port: 443 }))
    s.end('GET /who HTTP/1.1\r\nHost: app.example.test\r\nConnection: close\r\n\r\n')
    let reply = ''
    try {
      for await (const d of s) reply += String(d)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') throw err
    }
    return reply
  }
  t.match(await send(gw.port.trusting), /behind \/who$/, 'match.source saw the address from the header')
  t.equal(up.seen[0].headers['x-forwarded-for'], '203.0.113.9')
  t.equal(await send(gw.port.wary), '', 'a PROXY header from an untrusted address gets the connection reset, unanswered')
  const l = await gw.proc.waitFor(l => l.msg === 'access' && l.stack === 'wary')
  t.equal(l.error, 'CHAIN_ERR_PROXY_UNTRUSTED')
})

t.test('a websocket through http_proxy: upgrade, then bytes both ways', async t => {
  const dir = t.testdir()
  const srv = http.createServer((req, res) => { res.end('plain') })
  srv.on('upgrade', (req, socket: net.Socket, head: Buffer) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: dummy\r\n\r\n')
    if (head.length > 0) socket.write(head)
    socket.pipe(socket)
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => { srv.closeAllConnections(); srv.close() })
  const gw = await chainGateway(t, dir, {
    stacks: [{ id: 'web', listen: '127.0.0.1:0', chain: 'web' }],
    chains: { web: { probe: ['http'], routes: [{ process: { http_proxy: `tcp://127.0.0.1:${(srv.address() as net.AddressInfo).port}` } }] } }
  })
  const req = http.request({ host: '127.0.0.1', port: gw.port.web, path: '/ws', headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } })
  req.end()
  const [res, socket] = await once(req, 'upgrade') as [http.IncomingMessage, net.Socket]
  t.equal(res.statusCode, 101)
  const frames = Buffer.from('\x81\x05hello'.repeat(1000), 'latin1')
  socket.write(frames)
  let got = Buffer.alloc(0)
  for await (const d of socket) {
    got = Buffer.concat([got, d as Buffer])
    if (got.length >= frames.length) break
  }
  socket.destroy()
  t.ok(got.subarray(0, frames.length).equals(frames), 'the upstream echoed every byte back through the gateway')
})

t.test('forward and http_proxy through a SOCKS5 proxy (dante) as the upstream', { skip: DANTED_SKIP }, async t => {
  const dir = t.testdir()
  const svc = await markerServer(t, 'behind-socks')
  const dante = await startDanted(t)
  const gw = await chainGateway(t, dir, {
    stacks: [
      { id: 'tcp', listen: '127.0.0.1:0', forward: `socks://127.0.0.1:${dante.port}/localhost:${svc.port}` },
      { id: 'http', listen: '127.0.0.1:0', chain: 'web' }
    ],
    chains: { web: { probe: ['http'], routes: [{ process: { http_proxy: `socks://127.0.0.1:${dante.port}/127.0.0.1:${svc.port}` } }] } }
  })
  t.equal((await curl(['--fail', `http://${gw.addr.tcp}/a`])).stdout, 'behind-socks /a', 'tcp forward through dante')
  const r = await curl(['--fail', `http://${gw.addr.http}/b`, `http://${gw.addr.http}/c`])
  t.equal(r.stdout, 'behind-socks /bbehind-socks /c', 'http_proxy through dante, keep-alive')
})
