// rtcp as a running part of a process: the node, the keep-tunnels to configured peers, and the
// rtcp:// kind registered in the process's tunnel registry. Gateways and SNs both start it.
import type { PrivateKey } from '@libp2p/interface'
import type { Logger } from '../core/logger.ts'
import type { RtcpConfig } from '../config/types.ts'
import type { TunnelRegistry } from '../tunnel/registry.ts'
import { RtcpNode } from './node.ts'
import { KeepTunnel } from './keep-tunnel.ts'
import { policyResolver } from './target-policy.ts'
import { rtcpTunnel } from './tunnel.ts'

export interface RtcpService {
  node: RtcpNode
  keeps: KeepTunnel[]
  stop(): Promise<void>
}

export async function startRtcp (init: { privateKey: PrivateKey, config: RtcpConfig, logger: Logger, registry: TunnelRegistry }): Promise<RtcpService> {
  const { config, logger, registry } = init
  const node = new RtcpNode({ privateKey: init.privateKey, config, logger, resolveTarget: policyResolver(config.targets, registry) })
  registry.register(rtcpTunnel(node))
  await node.start()
  const keeps = node.peers.all().filter(p => p.keep).map(peer =>
    new KeepTunnel({ node, peer, keepalive: config.keepalive, reconnect: config.reconnect, logger }))
  for (const k of keeps) k.start()
  return {
    node,
    keeps,
    async stop () {
      await Promise.all(keeps.map(async k => { await k.stop() }))
      await node.stop()
    }
  }
}
