// A SOCKS stack's decision: each request enters the stack's chain with its target, client and
// login as facts, and the route that matches answers direct, a tunnel URL, or reject.
//   direct                 → connect to the requested host:port
//   forward: rtcp://nas/   → the request's port on that device's loopback (rtcp://nas/:<port>)
//   forward: socks://p:1080 → the same target through that proxy (socks://p:1080/<host>:<port>)
//   forward: tcp://h:p     → that fixed upstream, whatever was asked
//   reject, drop, no route → "not allowed"; any other action → "general failure"
import type { ConnFacts, SocksRequestInfo } from '../types.ts'
import type { ChainSet } from './chain-set.ts'
import type { SocksDecision } from '../../socks/server.ts'
import { REPLY_CODES } from '../../socks/types.ts'

function hostPort (host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** The tunnel URL a forward route's upstream becomes for one request. */
export function socksTargetUrl (upstream: string, req: SocksRequestInfo): string {
  const url = new URL(upstream)
  if (url.pathname !== '' && url.pathname !== '/') return upstream
  const base = upstream.replace(/\/$/, '')
  if (url.protocol === 'rtcp:') return `${base}/:${req.port}`
  if (url.protocol === 'socks:') return `${base}/${hostPort(req.host, req.port)}`
  return upstream
}

export function decideSocks (chains: ChainSet, chain: string, facts: ConnFacts): { decision: SocksDecision, route?: string } {
  const c = chains.get(chain)
  const route = c?.table.lookup(facts)
  if (c == null || route == null || facts.socks == null) return { decision: { action: 'reject', reply: REPLY_CODES.NOT_ALLOWED } }
  const p = route.spec.process
  switch (p.kind) {
    case 'direct': return { decision: { action: 'direct' }, route: route.spec.id }
    case 'forward': return { decision: { action: 'tunnel', url: socksTargetUrl(p.group.upstreams[0].url, facts.socks) }, route: route.spec.id }
    case 'reject':
    case 'drop': return { decision: { action: 'reject', reply: REPLY_CODES.NOT_ALLOWED }, route: route.spec.id }
    default: return { decision: { action: 'reject', reply: REPLY_CODES.GENERAL_FAILURE }, route: route.spec.id }
  }
}
