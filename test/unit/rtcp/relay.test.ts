// Relay through an SN: B only dials out to the SN; A reaches B through it. The stream is encrypted
// end to end between A and B, so the SN handles only ciphertext. We watch every byte the SN's
// relay streams carry (after the SN's own hop decryption) and look for a marker A sends to B.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { device, rtcpConfig, peer, startNode } from '../../helpers/rtcp.ts'
import { TunnelRegistry } from '../../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../../src/tunnel/tcp/index.ts'
import { policyResolver } from '../../../src/rtcp/target-policy.ts'
import { RTCP_PROTOCOL } from '../../../src/rtcp/libp2p-host.ts'
import { silentLogger } from '../../../src/core/logger.ts'

const HOP = '/libp2p/circuit/relay/0.2.0/hop'
const STOP = '/libp2p/circuit/relay/0.2.0/stop'

t.test('A reaches B through the SN; the SN never sees the plaintext', async t => {
  const [sn, a, b] = [await device(), await device(), await device()]
  const registry = new TunnelRegistry().register(tcpTunnel({ logger: silentLogger() }))
  const snNode = await startNode(sn, rtcpConfig({
    listen: ['127.0.0.1:0'],
    trust: { devices: [a.did, b.did], allowAny: false },
    targets: 'any',
    relay: { enabled: true, maxReservations: 16, maxRelayedConnections: 64 }
  }), policyResolver('any', registry))
  t.teardown(() => snNode.stop())
  const snAddrs = snNode.listenAddrs()

  // Every byte the SN reads from relay (hop/stop) streams and from its own rtcp streams.
  const seen: Record<string, Buffer[]> = { relay: [], rtcp: [] }
  // Observe at each stream's intake (onData), so that nothing about the flow changes: a
  // 'message' listener would take data before the relay's own reader is attached.
  const observe = (bucket: string, stream: any): void => {
    const onData = stream.onData.bind(stream)
    stream.onData = (data: any) => {
      seen[bucket].push(Buffer.from(data instanceof Uint8Array ? data : data.subarray()))
      onData(data)
    }
  }
  // Inbound hop streams (A → SN): wrap the relay's own handler. libp2p 3.3's stream middleware
  // cannot be used for inbound streams: it appends the handler to the registered middleware list
  // on every stream, so the second stream runs the handler twice.
  const relay = (snNode.host.services as any).relay
  await snNode.host.handle(HOP, (stream, conn) => { observe('relay', stream); return relay.onHop(stream, conn) }, { force: true, runOnLimitedConnection: true, maxInboundStreams: 1024, maxOutboundStreams: 1024 })
  // Outbound stop streams (SN → B) go through the middleware chain without that problem.
  snNode.host.use(STOP, (stream: any, conn: any, next: any) => { observe('relay', stream); next(stream, conn) })

  // B: behind NAT, dials out to the SN only; serves an echo on its loopback.
  const nodeB = await startNode(b, rtcpConfig({ peers: [peer('sn', sn, snAddrs, { keep: true })], trust: { devices: [a.did, sn.did], allowAny: false } }), policyResolver('loopback', registry))
  t.teardown(() => nodeB.stop())
  await nodeB.connect(nodeB.peers.resolve('sn'), AbortSignal.timeout(5000))
  const echo = net.createServer(s => s.pipe(s)); echo.listen(0, '127.0.0.1'); await once(echo, 'listening')
  t.teardown(() => { echo.close() })
  const echoPort = (echo.address() as net.AddressInfo).port

  // A knows B only by key and "via sn".
  const nodeA = await startNode(a, rtcpConfig({ peers: [peer('sn', sn, snAddrs), peer('home', b, [], { via: 'sn' })], trust: { devices: [sn.did, b.did], allowAny: false } }))
  t.teardown(() => nodeA.stop())

  const marker = Buffer.from(`MARKER-${randomBytes(12).toString('hex')}`)
  const payload = Buffer.concat([marker, randomBytes(256 * 1024), marker])
  const s = await nodeA.openStream(nodeA.peers.resolve('home'), `:${echoPort}`, { signal: AbortSignal.timeout(10_000) })
  const got: Buffer[] = []
  s.on('data', (c: Buffer) => got.push(c))
  s.end(payload)
  await once(s, 'end')
  t.ok(Buffer.concat(got).equals(payload), 'payload echoed through the relay intact')
  const relayConn = nodeA.tunnels().find(x => x.peer === 'home')
  t.ok(relayConn?.relayed, 'the tunnel to B is relayed')

  const relayBytes = Buffer.concat(seen.relay)
  t.ok(relayBytes.length >= 2 * payload.length, `the SN relayed ${relayBytes.length} bytes`)
  t.equal(relayBytes.indexOf(marker), -1, 'the marker never appears in what the SN relays')

  // Control: the same marker sent hop-by-hop (the SN opens the target itself) is visible to it,
  // which shows the watch above would have caught plaintext.
  snNode.host.use(RTCP_PROTOCOL, (stream: any, conn: any, next: any) => { observe('rtcp', stream); next(stream, conn) })
  const hop = await nodeA.openStream(nodeA.peers.resolve('sn'), `127.0.0.1:${echoPort}`, { signal: AbortSignal.timeout(5000) })
  hop.on('data', () => {})
  hop.end(marker)
  await once(hop, 'end')
  t.not(Buffer.concat(seen.rtcp).indexOf(marker), -1, 'control: a non end-to-end stream shows the marker to the SN')
})

t.test('the SN refuses to relay for a device it does not admit', async t => {
  const [sn, a, b, mallory] = [await device(), await device(), await device(), await device()]
  const snNode = await startNode(sn, rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [a.did, b.did], allowAny: false }, relay: { enabled: true, maxReservations: 16, maxRelayedConnections: 64 } }))
  t.teardown(() => snNode.stop())
  const nodeB = await startNode(b, rtcpConfig({ peers: [peer('sn', sn, snNode.listenAddrs())], trust: { devices: [mallory.did], allowAny: false } }))
  t.teardown(() => nodeB.stop())
  await nodeB.connect(nodeB.peers.resolve('sn'), AbortSignal.timeout(5000))
  const nodeM = await startNode(mallory, rtcpConfig({ peers: [peer('sn', sn, snNode.listenAddrs()), peer('home', b, [], { via: 'sn' })] }))
  t.teardown(() => nodeM.stop())
  const refused = once(snNode, 'refused')
  await t.rejects(nodeM.openStream(nodeM.peers.resolve('home'), ':80', { signal: AbortSignal.timeout(5000) }))
  t.equal((await refused)[0].did, mallory.did, 'the SN logged the refused key')
})
