// The compliance setup shared by rtcp adopters: B opens streams to named listeners on A (which
// B knows as peer "a"), however the tunnel between them is made (direct or relayed).
import type { ComplianceSetup } from '../compliance/tunnel.suite.ts'
import type { RtcpNode } from '../../src/rtcp/node.ts'
import { rtcpTunnel } from '../../src/rtcp/tunnel.ts'
import { closedPort } from './free-port.ts'

export function rtcpComplianceSetup (nodeA: RtcpNode, nodeB: RtcpNode, teardown: () => Promise<void>): ComplianceSetup {
  const atA = rtcpTunnel(nodeA)
  let n = 0
  return {
    tunnel: rtcpTunnel(nodeB),
    listen: async () => await atA.listen(new URL(`rtcp://local/svc${++n}`)),
    dialUrl: (listener) => new URL(`rtcp://a${listener.url.pathname}`),
    refusedUrl: async () => new URL(`rtcp://a/:${await closedPort()}`),
    teardown
  }
}
