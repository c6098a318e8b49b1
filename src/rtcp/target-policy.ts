// What an incoming rtcp stream may reach on this node. The processing chain replaces this with
// rules; until then a node answers by one of three policies:
//   loopback  ":port", loopback "host:port" and named listeners (the default: a device only
//             exposes what runs on its own loopback)
//   any       also other hosts and nested URLs the node opens as the next hop
//   none      only named listeners
import { isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import type { TargetPolicy } from '../config/types.ts'
import type { TunnelRegistry } from '../tunnel/registry.ts'
import { parseTarget } from '../tunnel/url.ts'
import { RTCP_ERR_REFUSED } from './errors.ts'
import type { InboundRequest, TargetResolver } from './node.ts'

export function isLoopbackHost (host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1'
  return false
}

export function policyResolver (policy: TargetPolicy, registry: TunnelRegistry): TargetResolver {
  return async (req: InboundRequest, signal: AbortSignal): Promise<Duplex> => {
    const t = parseTarget(req.target)
    const refuse = (why: string): never => { throw new RTCP_ERR_REFUSED(req.target, why) }
    if (policy === 'none') refuse('this node exposes no targets')
    switch (t.kind) {
      case 'port':
        return await registry.open(`tcp://127.0.0.1:${t.port}`, { signal })
      case 'host':
        if (policy !== 'any' && !isLoopbackHost(t.host)) refuse(`policy "${policy}" allows loopback targets only`)
        return await registry.open(`tcp://${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`, { signal })
      case 'url':
        if (policy !== 'any') refuse(`policy "${policy}" does not open nested URLs`)
        return await registry.open(t.url, { signal })
      case 'name':
        return refuse(`no listener named "${t.name}"`)
      default:
        return refuse('no target given')
    }
  }
}
