import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { device, rtcpConfig, peer, startNode } from '../../helpers/rtcp.ts'
import { TunnelRegistry } from '../../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../../src/tunnel/tcp/index.ts'
import { policyResolver } from '../../../src/rtcp/target-policy.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { closedPort } from '../../helpers/free-port.ts'
import { rtcpTunnel } from '../../../src/rtcp/tunnel.ts'

async function echoServer (t: { teardown: (fn: () => void) => void }): Promise<number> {
  const srv = net.createServer(s => s.pipe(s))
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => { srv.close() })
  return (srv.address() as net.AddressInfo).port
}

async function roundTrip (s: NodeJS.ReadWriteStream & { end: (b?: Buffer) => void }, payload: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = []
  s.on('data', (c: Buffer) => chunks.push(c))
  s.end(payload)
  await once(s, 'end')
  return Buffer.concat(chunks)
}

/** A listens and admits B; B knows A by name ("a") and address. A answers loopback targets. */
async function listenerAndDialer (t: { teardown: (fn: () => unknown) => void }) {
  const [a, b] = [await device(), await device()]
  const registry = new TunnelRegistry().register(tcpTunnel({ logger: silentLogger() }))
  const nodeA = await startNode(a, rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [b.did], allowAny: false } }), policyResolver('loopback', registry))
  t.teardown(() => nodeA.stop())
  const nodeB = await startNode(b, rtcpConfig({ peers: [peer('a', a, nodeA.listenAddrs())] }))
  t.teardown(() => nodeB.stop())
  return { a, b, nodeA, nodeB }
}

t.test('a device dials another, opens a stream to a loopback port, and echo works', async t => {
  const { a, nodeA, nodeB } = await listenerAndDialer(t)
  const port = await echoServer(t)
  const s = await nodeB.openStream(nodeB.peers.resolve('a'), `:${port}`, { signal: AbortSignal.timeout(5000) })
  const back = await roundTrip(s as any, Buffer.from('hello through rtcp'))
  t.equal(back.toString(), 'hello through rtcp')
  t.equal(nodeB.tunnels().length, 1, 'one tunnel')
  // a second stream reuses the same connection
  const s2 = await nodeB.openStream(nodeB.peers.resolve(a.did.slice('did:dev:'.length)), `:${port}`, { signal: AbortSignal.timeout(5000) })
  t.equal((await roundTrip(s2 as any, Buffer.from('again'))).toString(), 'again', 'the bare key also names the peer')
  t.equal(nodeB.tunnels().length, 1, 'still one tunnel')
})

t.test('the accepting side can open streams back over the same tunnel', async t => {
  const [a, b] = [await device(), await device()]
  const registry = new TunnelRegistry().register(tcpTunnel({ logger: silentLogger() }))
  const nodeA = await startNode(a, rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [b.did], allowAny: false } }))
  t.teardown(() => nodeA.stop())
  const nodeB = await startNode(b, rtcpConfig({ peers: [peer('a', a, nodeA.listenAddrs())], trust: { devices: [a.did], allowAny: false } }), policyResolver('loopback', registry))
  t.teardown(() => nodeB.stop())
  const upAtA = once(nodeA, 'tunnel:up')
  await nodeB.connect(nodeB.peers.resolve('a'), AbortSignal.timeout(5000))
  await upAtA
  const port = await echoServer(t)
  // A has no address for B: it can only use the tunnel B dialed.
  const s = await nodeA.openStream(nodeA.peers.resolve(b.did.slice(8)), `:${port}`, { signal: AbortSignal.timeout(5000) })
  t.equal((await roundTrip(s as any, Buffer.from('reverse'))).toString(), 'reverse')
  t.equal(nodeA.tunnels().length, 1)
})

t.test('untrusted device is refused and the refusal is reported with its identity', async t => {
  const [a, b, c] = [await device(), await device(), await device()]
  const nodeA = await startNode(a, rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [b.did], allowAny: false } }))
  t.teardown(() => nodeA.stop())
  const refused = once(nodeA, 'refused')
  const nodeC = await startNode(c, rtcpConfig({ peers: [peer('a', a, nodeA.listenAddrs())] }))
  t.teardown(() => nodeC.stop())
  await t.rejects(nodeC.openStream(nodeC.peers.resolve('a'), ':1', { signal: AbortSignal.timeout(5000) }))
  const [info] = await refused
  t.equal(info.did, c.did)
})

t.test('targets outside the policy are refused with a coded error; a closed port is connect-refused', async t => {
  const { a, nodeA, nodeB } = await listenerAndDialer(t)
  const pa = nodeB.peers.resolve('a')
  await t.rejects(nodeB.openStream(pa, 'example.com:80', { signal: AbortSignal.timeout(5000) }), { code: 'RTCP_ERR_REFUSED' })
  await t.rejects(nodeB.openStream(pa, 'rtcp://x/:1', { signal: AbortSignal.timeout(5000) }), { code: 'RTCP_ERR_REFUSED' })
  const port = await closedPort()
  await t.rejects(nodeB.openStream(pa, `:${port}`, { signal: AbortSignal.timeout(5000) }), { code: 'TUN_ERR_CONNECT_REFUSED' })
})

t.test('stream-open rate limit answers rate_limited', async t => {
  const [a, b] = [await device(), await device()]
  const cfg = rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [b.did], allowAny: false } })
  cfg.limits.streamOpenRate = 5
  const nodeA = await startNode(a, cfg)
  t.teardown(() => nodeA.stop())
  const nodeB = await startNode(b, rtcpConfig({ peers: [peer('a', a, nodeA.listenAddrs())] }))
  t.teardown(() => nodeB.stop())
  const pa = nodeB.peers.resolve('a')
  const results = await Promise.allSettled(Array.from({ length: 12 }, () => nodeB.ping(pa, 5000)))
  const limited = results.filter(r => r.status === 'rejected' && (r.reason as { code?: string }).code === 'RTCP_ERR_RATE_LIMITED')
  t.ok(limited.length >= 5, `some opens were rate-limited (${limited.length} of 12)`)
  t.ok(results.some(r => r.status === 'fulfilled'), 'the burst went through')
})

t.test('a connection that never finishes its handshake is dropped after handshake_timeout', async t => {
  const a = await device()
  const cfg = rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [], allowAny: true } })
  cfg.limits.handshakeTimeoutMs = 300
  const nodeA = await startNode(a, cfg)
  t.teardown(() => nodeA.stop())
  const [host, port] = nodeA.listenAddrs()[0].split(':')
  const s = net.connect(Number(port), host)
  s.on('error', () => {})
  await once(s, 'connect')
  const started = performance.now()
  await new Promise(resolve => s.once('close', resolve)) // a reset, not an 'error' to fail on
  const ms = performance.now() - started
  t.ok(ms >= 250 && ms < 3000, `closed after ${Math.round(ms)} ms of silence`)
})

t.test('pending handshakes past the limit are refused', async t => {
  const a = await device()
  const cfg = rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [], allowAny: true } })
  cfg.limits.maxPendingHandshakes = 3
  cfg.limits.handshakeTimeoutMs = 5000
  const nodeA = await startNode(a, cfg)
  t.teardown(() => nodeA.stop())
  const [host, port] = nodeA.listenAddrs()[0].split(':')
  const sockets = Array.from({ length: 6 }, () => { const s = net.connect(Number(port), host); s.on('error', () => {}); return s })
  t.teardown(() => { for (const s of sockets) s.destroy() })
  // Connections past the limit are closed at once; the first three wait in their handshake.
  const closedQuickly = await Promise.all(sockets.map(s => new Promise<boolean>(resolve => {
    const timer = setTimeout(() => resolve(false), 1000)
    s.once('close', () => { clearTimeout(timer); resolve(true) })
  })))
  t.equal(closedQuickly.filter(Boolean).length, 3, 'three refused at once, three still pending')
})

t.test('rtcp URLs name a peer by configured name, bare key, or percent-encoded did', async t => {
  const { a, nodeA, nodeB } = await listenerAndDialer(t)
  const port = await echoServer(t)
  const kind = rtcpTunnel(nodeB)
  for (const host of ['a', a.did.slice(8), encodeURIComponent(a.did)]) {
    const s = await kind.open(new URL(`rtcp://${host}/:${port}`), { signal: AbortSignal.timeout(5000) })
    t.equal((await roundTrip(s as any, Buffer.from(host))).toString(), host, `rtcp://${host.slice(0, 16)}…/`)
  }
  await t.rejects(kind.open(new URL(`rtcp://nobody/:${port}`), { signal: AbortSignal.timeout(5000) }), { code: 'RTCP_ERR_UNKNOWN_PEER' })
})
