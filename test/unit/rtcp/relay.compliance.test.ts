// A relayed rtcp tunnel (device B → SN relay port ← device A) passes the same compliance suite as
// a direct one: half-close, resets, backpressure and clean teardown all cross the relay.
import t from 'tap'
import { tunnelCompliance } from '../../compliance/tunnel.suite.ts'
import { rtcpComplianceSetup } from '../../helpers/rtcp-compliance.ts'
import { device, rtcpConfig, peer, startNode } from '../../helpers/rtcp.ts'
import { TunnelRegistry } from '../../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../../src/tunnel/tcp/index.ts'
import { policyResolver } from '../../../src/rtcp/target-policy.ts'
import { silentLogger } from '../../../src/core/logger.ts'

tunnelCompliance(t, 'rtcp through a relay', async () => {
  const [sn, a, b] = [await device(), await device(), await device()]
  const registry = new TunnelRegistry().register(tcpTunnel({ logger: silentLogger() }))
  const snNode = await startNode(sn, rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [a.did, b.did], allowAny: false }, relay: { enabled: true, listen: '127.0.0.1:0', pendingTimeoutMs: 5000, maxRelayedConnections: 64 } }))
  // A listens (by name) and only dials out to the SN; B reaches A through the SN.
  const nodeA = await startNode(a, rtcpConfig({ peers: [peer('sn', sn, snNode.listenAddrs())], trust: { devices: [b.did, sn.did], allowAny: false } }), policyResolver('loopback', registry))
  await nodeA.connect(nodeA.peers.resolve('sn'), AbortSignal.timeout(5000))
  const nodeB = await startNode(b, rtcpConfig({ peers: [peer('sn', sn, snNode.listenAddrs()), peer('a', a, [], { via: 'sn' })], trust: { devices: [sn.did, a.did], allowAny: false } }))
  return rtcpComplianceSetup(nodeA, nodeB, async () => { await nodeB.stop(); await nodeA.stop(); await snNode.stop() })
})
