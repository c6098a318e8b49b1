// Relay through an SN: B only dials out to the SN; A reaches B through it. The SN splices A's and
// B's connections to its relay port, and A and B run Noise end to end over them, so the SN handles
// only ciphertext. We look at every chunk the SN relays for a marker A sends to B.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { device, rtcpConfig, peer, startNode } from '../../helpers/rtcp.ts'
import { TunnelRegistry } from '../../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../../src/tunnel/tcp/index.ts'
import { policyResolver } from '../../../src/rtcp/target-policy.ts'
import { silentLogger } from '../../../src/core/logger.ts'

const RELAY = { enabled: true, listen: '127.0.0.1:0', pendingTimeoutMs: 5000, maxRelayedConnections: 64 }

t.test('A reaches B through the SN; the SN never sees the plaintext', async t => {
  const [sn, a, b] = [await device(), await device(), await device()]
  const registry = new TunnelRegistry().register(tcpTunnel({ logger: silentLogger() }))
  const relayed: Buffer[] = []
  const snNode = await startNode(sn, rtcpConfig({
    listen: ['127.0.0.1:0'],
    trust: { devices: [a.did, b.did], allowAny: false },
    relay: RELAY
  }), undefined, { onRelayBytes: (chunk) => relayed.push(Buffer.from(chunk)) })
  t.teardown(() => snNode.stop())
  const snAddrs = snNode.listenAddrs()

  // B: behind NAT, dials out to the SN only; serves an echo on its loopback.
  const nodeB = await startNode(b, rtcpConfig({ peers: [peer('sn', sn, snAddrs, { keep: true })], trust: { devices: [a.did, sn.did], allowAny: false } }), policyResolver('loopback', registry))
  t.teardown(() => nodeB.stop())
  const upAtSn = once(snNode, 'tunnel:up')
  await nodeB.connect(nodeB.peers.resolve('sn'), AbortSignal.timeout(5000))
  await upAtSn
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
  t.ok(nodeA.tunnels().find(x => x.peer === 'home')?.relayed, 'A\'s tunnel to B is relayed')
  t.ok(nodeB.tunnels().some(x => x.did === a.did && x.relayed), 'B sees A\'s relayed tunnel')

  const bytes = Buffer.concat(relayed)
  t.ok(bytes.length >= 2 * payload.length, `the SN relayed ${bytes.length} bytes`)
  t.equal(snNode.relay?.bytesRelayed, bytes.length, 'and counted them')
  t.equal(bytes.indexOf(marker), -1, 'the marker never appears in what the SN relays')

  // Control: bytes sent in clear over a relay session do show up in what the SN relays, so the
  // check above would have caught plaintext.
  const tokens = snNode.relay!.open()!
  const [host, port] = [snNode.relayAddress!.split(':')[0], Number(snNode.relayAddress!.split(':')[1])]
  const x = net.connect(port, host); const y = net.connect(port, host)
  await Promise.all([once(x, 'connect'), once(y, 'connect')])
  x.write(`${tokens[0]}\n`); y.write(`${tokens[1]}\n`)
  x.write(marker)
  const [echoed] = await once(y, 'data')
  t.ok(echoed.equals(marker), 'control: the relay joined the two sockets')
  t.not(Buffer.concat(relayed).indexOf(marker), -1, 'control: plaintext through the relay is visible to the check')
  x.destroy(); y.destroy()
})

t.test('a relay session needs a valid token, and an unknown token gets nothing', async t => {
  const sn = await device()
  const snNode = await startNode(sn, rtcpConfig({ listen: ['127.0.0.1:0'], relay: { ...RELAY, pendingTimeoutMs: 300 } }))
  t.teardown(() => snNode.stop())
  const [host, port] = snNode.relayAddress!.split(':')
  const s = net.connect(Number(port), host)
  s.on('error', () => {})
  await once(s, 'connect')
  s.write(`${'0'.repeat(32)}\n` + 'hello')
  await once(s, 'close')
  t.pass('a connection with an unknown token is closed')
  const tokens = snNode.relay!.open()!
  t.equal(snNode.relay!.sessions, 1)
  const lone = net.connect(Number(port), host)
  lone.on('error', () => {})
  await once(lone, 'connect')
  lone.write(`${tokens[0]}\n`)
  await once(lone, 'close')
  t.equal(snNode.relay!.sessions, 0, 'a half-completed session expires')
})

t.test('the SN refuses to relay for a device it does not admit', async t => {
  const [sn, a, b, mallory] = [await device(), await device(), await device(), await device()]
  const snNode = await startNode(sn, rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [a.did, b.did], allowAny: false }, relay: RELAY }))
  t.teardown(() => snNode.stop())
  const nodeB = await startNode(b, rtcpConfig({ peers: [peer('sn', sn, snNode.listenAddrs())], trust: { devices: [mallory.did, sn.did], allowAny: false } }))
  t.teardown(() => nodeB.stop())
  await nodeB.connect(nodeB.peers.resolve('sn'), AbortSignal.timeout(5000))
  const nodeM = await startNode(mallory, rtcpConfig({ peers: [peer('sn', sn, snNode.listenAddrs()), peer('home', b, [], { via: 'sn' })] }))
  t.teardown(() => nodeM.stop())
  const refused = once(snNode, 'refused')
  await t.rejects(nodeM.openStream(nodeM.peers.resolve('home'), ':80', { signal: AbortSignal.timeout(5000) }))
  t.equal((await refused)[0].did, mallory.did, 'the SN logged the refused key')
})

t.test('a device that does not trust the requester refuses the relayed tunnel', async t => {
  const [sn, a, b] = [await device(), await device(), await device()]
  const snNode = await startNode(sn, rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [a.did, b.did], allowAny: false }, relay: RELAY }))
  t.teardown(() => snNode.stop())
  // B admits the SN but not A.
  const nodeB = await startNode(b, rtcpConfig({ peers: [peer('sn', sn, snNode.listenAddrs())], trust: { devices: [sn.did], allowAny: false } }))
  t.teardown(() => nodeB.stop())
  await nodeB.connect(nodeB.peers.resolve('sn'), AbortSignal.timeout(5000))
  const nodeA = await startNode(a, rtcpConfig({ peers: [peer('sn', sn, snNode.listenAddrs()), peer('home', b, [], { via: 'sn' })] }))
  t.teardown(() => nodeA.stop())
  const refused = once(nodeB, 'refused')
  await t.rejects(nodeA.openStream(nodeA.peers.resolve('home'), ':80', { signal: AbortSignal.timeout(5000) }), { code: 'RTCP_ERR_DIAL_FAILED' })
  t.equal((await refused)[0].did, a.did, 'B logged the refused key')
})
