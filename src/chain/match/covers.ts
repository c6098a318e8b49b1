// Does route A's match cover route B's, i.e. can B never match because A, earlier, takes every
// connection B would? A covers B when each of A's conditions also appears in B and is at least
// as broad there:
//   sni/host       every pattern of B is covered by some pattern of A ("*.example.com" covers
//                  "www.example.com" and "*.a.example.com"; "*" covers everything)
//   path_prefix    each of B's prefixes starts with one of A's on a segment boundary
//   source         each of B's CIDRs lies inside one of A's (same address family)
//   alpn, method, listener, peer, protocol   B's list ⊆ A's list
//   header, path_regex                       only when equal
// Conditions of A that hold for every connection count as absent: sni containing "*", protocol
// listing all three kinds. host containing "*" holds for every HTTP request, so it covers a B
// that has any HTTP condition. An empty A covers every B. The check is conservative: it may miss
// a shadow (e.g. B's range split across two of A's), never invent one.
import type { HeaderCondition, MatchSpec } from '../types.ts'
import { hostPatternCovers } from './host-pattern.ts'
import { pathPrefixCovers } from './path-prefix.ts'
import { cidrCovers } from './cidr.ts'

const HTTP_KEYS = ['host', 'pathPrefix', 'pathRegex', 'method', 'header'] as const

/** Why A covers B ("*.example.com covers www.example.com"), or undefined when it does not. */
export function coverReason (a: MatchSpec, b: MatchSpec): string | undefined {
  const reasons: string[] = []
  const ok = (r: string | undefined): boolean => {
    if (r === undefined) return false
    reasons.push(r)
    return true
  }
  if (a.sni != null && !a.sni.includes('*') && !ok(listCovers(a.sni, b.sni, hostPatternCovers, 'sni', false))) return undefined
  if (a.host != null) {
    if (a.host.includes('*')) {
      if (!HTTP_KEYS.some(k => b[k] != null)) return undefined
      reasons.push('host * takes every HTTP request')
    } else if (!ok(listCovers(a.host, b.host, hostPatternCovers, 'host', false))) return undefined
  }
  if (a.alpn != null && !ok(listCovers(a.alpn, b.alpn, eq, 'alpn', true))) return undefined
  if (a.pathPrefix != null && !ok(listCovers(a.pathPrefix, b.pathPrefix, pathPrefixCovers, 'path_prefix', true))) return undefined
  if (a.pathRegex != null) {
    if (a.pathRegex !== b.pathRegex) return undefined
    reasons.push(`same path_regex ${a.pathRegex}`)
  }
  if (a.method != null && !ok(listCovers(a.method, b.method, eq, 'method', true))) return undefined
  for (const [name, cond] of Object.entries(a.header ?? {})) {
    const other = b.header?.[name]
    if (other === undefined || !sameHeader(cond, other)) return undefined
    reasons.push(`same header ${name} condition`)
  }
  if (a.source != null && !ok(listCovers(a.source, b.source, cidrCovers, 'source', true))) return undefined
  if (a.listener != null && !ok(listCovers(a.listener, b.listener, eq, 'listener', true))) return undefined
  if (a.peer != null && !ok(listCovers(a.peer, b.peer, eq, 'peer', true))) return undefined
  if (a.protocol != null && new Set(a.protocol).size < 3 && !ok(listCovers(a.protocol, b.protocol, eq, 'protocol', true))) return undefined
  if (a.target != null && !ok(listCovers(a.target, b.target, hostPatternCovers, 'target', false))) return undefined
  if (a.targetPort != null && !ok(listCovers(a.targetPort.map(String), b.targetPort?.map(String), eq, 'target_port', true))) return undefined
  if (a.user != null && !ok(listCovers(a.user, b.user, eq, 'user', true))) return undefined
  return reasons.length === 0 ? 'it has no conditions' : reasons.join(', ')
}

function eq (x: string, y: string): boolean { return x === y }

/** Every item of `inner` covered by some item of `outer`; the reason names the pairs. */
function listCovers (
  outer: readonly string[],
  inner: readonly string[] | undefined,
  covers: (o: string, i: string) => boolean,
  kind: string,
  /** "path_prefix /a covers /a/b"; host patterns read well without: "*.a.com covers b.a.com". */
  showKind: boolean
): string | undefined {
  if (inner == null || inner.length === 0) return undefined
  const pairs: string[] = []
  for (const i of inner) {
    const o = outer.find(x => covers(x, i))
    if (o === undefined) return undefined
    if (pairs.length < 3) pairs.push(o === i ? `same ${kind} ${o}` : `${showKind ? `${kind} ` : ''}${o} covers ${i}`)
  }
  if (inner.length > 3) pairs.push(`… ${inner.length - 3} more`)
  return pairs.join(', ')
}

function sameHeader (x: HeaderCondition, y: HeaderCondition): boolean {
  return x.equals === y.equals && x.regex === y.regex && x.present === y.present
}
