// The probe stage over real loopback sockets: facts recorded, bytes put back, limits kept.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { probeConnection } from '../../../../src/chain/runtime/probe.ts'
import type { ChainSpec, ConnFacts, ProbeName } from '../../../../src/chain/types.ts'
import { encodeClientHello, frame } from '../../../fixtures/client-hello.ts'
import { encodeProxyV1, encodeProxyV2 } from '../../../../src/chain/probes/proxy-protocol.ts'

function chain (probe: ProbeName[], extra: Partial<ChainSpec> = {}): ChainSpec {
  return { name: 'c', probe, probeMaxBytes: 64 * 1024, probeTimeoutMs: 2000, trustedProxies: [], routes: [], postRespFilter: [], ...extra }
}

/** A connected socket pair on loopback: [client, server side]. */
async function pair (t: { teardown: (fn: () => void) => void }): Promise<[net.Socket, net.Socket]> {
  const srv = net.createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const client = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1')
  const [server] = await once(srv, 'connection') as [net.Socket]
  t.teardown(() => { client.destroy(); server.destroy(); srv.close() })
  return [client, server]
}

function facts (s: net.Socket): ConnFacts {
  return { stack: 's', localPort: s.localPort ?? 0, source: { address: s.remoteAddress ?? '', port: s.remotePort ?? 0 } }
}

/** Read `n` bytes from the stream after probing: what the action would see. */
async function readN (s: net.Socket, n: number): Promise<Buffer> {
  const parts: Buffer[] = []
  let have = 0
  for await (const d of s) {
    parts.push(d as Buffer)
    have += (d as Buffer).length
    if (have >= n) break
  }
  return Buffer.concat(parts).subarray(0, n)
}

t.test('a ClientHello in three segments: SNI and ALPN recorded, every byte replayed', async t => {
  const [client, server] = await pair(t)
  const hello = frame(encodeClientHello({ sni: 'A.Example.Test', alpn: ['h2', 'http/1.1'] }), [100, 100])
  const f = facts(server)
  const probing = probeConnection({ stream: server, chain: chain(['tls', 'http']), facts: f, trusted: () => false })
  client.write(hello.subarray(0, 30))
  await sleep(30)
  client.write(hello.subarray(30, 150))
  await sleep(30)
  client.write(hello.subarray(150))
  const out = await probing
  t.same(out, { ok: true, protocol: 'tls' })
  t.same(f.tls, { sni: 'a.example.test', alpn: ['h2', 'http/1.1'] })
  t.ok((await readN(server, hello.length)).equals(hello), 'the action sees the hello from its first byte')
})

t.test('an HTTP request: method, path and host recorded; a TLS probe does not delay it', async t => {
  const [client, server] = await pair(t)
  const req = 'GET /a/b?x=1 HTTP/1.1\r\nHost: App.Example.Test:8080\r\nX-A: 1\r\n\r\n'
  const f = facts(server)
  const probing = probeConnection({ stream: server, chain: chain(['tls', 'http']), facts: f, trusted: () => false })
  client.write(req)
  t.same(await probing, { ok: true, protocol: 'http' })
  t.match(f.http, { method: 'GET', path: '/a/b', query: 'x=1', host: 'app.example.test' })
  t.equal((await readN(server, req.length)).toString(), req)
})

t.test('PROXY v1 and v2 from a trusted address replace the source and are removed', async t => {
  for (const [name, header] of [
    ['v1', encodeProxyV1({ address: '198.51.100.7', port: 5555 }, { address: '192.0.2.1', port: 443 })],
    ['v2', encodeProxyV2({ address: '2001:db8::7', port: 5555 }, { address: '2001:db8::1', port: 443 })]
  ] as const) {
    const [client, server] = await pair(t)
    const f = facts(server)
    const probing = probeConnection({ stream: server, chain: chain(['proxy_protocol', 'http'], { trustedProxies: ['127.0.0.1'] }), facts: f, trusted: a => a === '127.0.0.1' })
    client.write(Buffer.concat([header, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]))
    t.same(await probing, { ok: true, protocol: 'http' }, name)
    t.equal(f.source.address, name === 'v1' ? '198.51.100.7' : '2001:db8::7')
    t.equal(f.source.port, 5555)
    t.equal(f.via?.address, '127.0.0.1', 'the socket peer is kept as via')
    t.equal((await readN(server, 3)).toString(), 'GET', 'the header is consumed; the request follows')
  }
})

t.test('a PROXY header from an untrusted address is refused', async t => {
  const [client, server] = await pair(t)
  const f = facts(server)
  const probing = probeConnection({ stream: server, chain: chain(['proxy_protocol', 'http']), facts: f, trusted: () => false })
  client.write(encodeProxyV2({ address: '10.0.0.1', port: 1 }, { address: '10.0.0.2', port: 2 }))
  t.match(await probing, { ok: false, code: 'CHAIN_ERR_PROXY_UNTRUSTED' })
  t.equal(f.source.address, '127.0.0.1', 'the source is not changed')
})

t.test('nothing recognised: decided at the first byte, bytes replayed, protocol other', async t => {
  const [client, server] = await pair(t)
  const f = facts(server)
  const probing = probeConnection({ stream: server, chain: chain(['tls', 'http']), facts: f, trusted: () => false })
  client.write(Buffer.from([0x00, 0x01, 0x02]))
  t.same(await probing, { ok: true, protocol: 'other' })
  t.same([...(await readN(server, 3))], [0, 1, 2])
})

t.test('a client that sends too little: the probe timeout decides, with what it has', async t => {
  const [client, server] = await pair(t)
  const f = facts(server)
  const started = performance.now()
  const probing = probeConnection({ stream: server, chain: chain(['tls'], { probeTimeoutMs: 200 }), facts: f, trusted: () => false })
  client.write(Buffer.from([0x16, 0x03, 0x01])) // the start of a TLS record, and then silence
  const out = await probing
  t.match(out, { ok: true, protocol: 'other', note: /within 200 ms/ })
  t.ok(performance.now() - started >= 190)
  t.same([...(await readN(server, 3))], [0x16, 0x03, 0x01])
})

t.test('probe_max_bytes bounds what is read', async t => {
  const [client, server] = await pair(t)
  const f = facts(server)
  const probing = probeConnection({ stream: server, chain: chain(['http'], { probeMaxBytes: 1024 }), facts: f, trusted: () => false })
  client.write('GET / HTTP/1.1\r\n' + 'X-Long: ' + 'a'.repeat(4000))
  const out = await probing
  t.equal(out.ok, true)
  t.equal(f.http, undefined, 'no request recorded from an over-long head')
})

t.test('a client that closes while probing', async t => {
  const [client, server] = await pair(t)
  const probing = probeConnection({ stream: server, chain: chain(['tls']), facts: facts(server), trusted: () => false })
  client.end(Buffer.from([0x16, 0x03]))
  t.match(await probing, { ok: false, code: 'CHAIN_ERR_PROBE_CLOSED' })
})

t.test('no probes: decided without reading', async t => {
  const [, server] = await pair(t)
  t.same(await probeConnection({ stream: server, chain: chain([]), facts: facts(server), trusted: () => false }), { ok: true, protocol: 'other' })
})
