// The rtcp:// kind passes the same compliance suite as every other tunnel kind: device B opens
// streams to a named listener on device A over one rtcp tunnel.
import t from 'tap'
import { tunnelCompliance } from '../../compliance/tunnel.suite.ts'
import { rtcpComplianceSetup } from '../../helpers/rtcp-compliance.ts'
import { device, rtcpConfig, peer, startNode } from '../../helpers/rtcp.ts'
import { TunnelRegistry } from '../../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../../src/tunnel/tcp/index.ts'
import { policyResolver } from '../../../src/rtcp/target-policy.ts'
import { silentLogger } from '../../../src/core/logger.ts'

tunnelCompliance(t, 'rtcp', async () => {
  const [a, b] = [await device(), await device()]
  const registry = new TunnelRegistry().register(tcpTunnel({ logger: silentLogger() }))
  const nodeA = await startNode(a, rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [b.did], allowAny: false } }), policyResolver('loopback', registry))
  const nodeB = await startNode(b, rtcpConfig({ peers: [peer('a', a, nodeA.listenAddrs())] }))
  return rtcpComplianceSetup(nodeA, nodeB, async () => { await nodeB.stop(); await nodeA.stop() })
})
