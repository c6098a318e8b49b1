// The compiled route table of one chain, and the shadow check the config loader warns with.
//
// compileTable compiles every route's match once (match/compile-match.ts). lookup returns the
// first route in file order whose conditions all hold, without scanning every route when the
// connection has an SNI or Host: routes are filed by exact name, by wildcard suffix, or in an
// "always candidate" list (match/route-index.ts), and only the candidates are tested, in file
// order. The result is the same as testing every route in order.
//
// explain makes the same decision the slow way, testing every route in order up to the one
// taken, with one trace line per route tried:
//   route api: sni api.example.test matched; path_prefix /v1 matched → taken
//   route web: host www.example.test ≠ api.example.test
//
// findShadowed reports routes that can never match because an earlier route covers them
// (match/covers.ts defines "covers"); one warning per shadowed route, naming the first coverer.
//
// The matching semantics are documented where they are implemented: each condition in
// match/compile-match.ts, host patterns in match/host-pattern.ts, path prefixes in
// match/path-prefix.ts, CIDRs in match/cidr.ts, the candidate index in match/route-index.ts.
import type { ChainSpec, CompiledRoute, ConnFacts, RouteExplanation, RouteSpec, RouteTable, ShadowWarning } from './types.ts'
import { compileMatch, type CompiledMatch } from './match/compile-match.ts'
import { NameIndex, RouteIndex, firstInMerge } from './match/route-index.ts'
import { coverReason } from './match/covers.ts'
import { normalizePattern } from './match/host-pattern.ts'

interface Entry {
  route: CompiledRoute
  match: CompiledMatch
}

export function compileTable (chain: ChainSpec): RouteTable {
  const entries: Entry[] = chain.routes.map((spec, index) => {
    const match = compileMatch(spec.match)
    const route: CompiledRoute = Object.freeze({ chain: chain.name, index, spec, matches: match.test })
    return { route, match }
  })
  const routes = Object.freeze(entries.map(e => e.route))
  const index = new RouteIndex()
  entries.forEach((e, i) => index.add(i, e.route.spec.match))

  return Object.freeze({
    chain,
    routes,
    lookup (facts: Readonly<ConnFacts>): CompiledRoute | undefined {
      const i = firstInMerge(index.candidates(facts), k => entries[k].match.test(facts))
      return i < 0 ? undefined : routes[i]
    },
    explain (facts: Readonly<ConnFacts>): RouteExplanation {
      const trace: string[] = []
      for (const e of entries) {
        const taken = e.match.test(facts)
        const why = e.match.explain(facts)
        const reasons = why.length === 0 ? 'no conditions' : why.join('; ')
        trace.push(`route ${e.route.spec.id}: ${reasons}${taken ? ' → taken' : ''}`)
        if (taken) return { route: e.route, trace }
      }
      return { trace }
    }
  })
}

export function findShadowed (chain: ChainSpec): ShadowWarning[] {
  const warnings: ShadowWarning[] = []
  const routes = chain.routes
  // Only routes that could cover B are compared with it. A route whose sni (or host) has no "*"
  // covers B only if one of its patterns covers B's first pattern, so such routes are filed by
  // name and wildcard suffix, as for lookup; the rest ("general") are compared with every later
  // route.
  const byName = { sni: new NameIndex(), host: new NameIndex() }
  const general: number[] = []
  routes.forEach((b, j) => {
    const lists: number[][] = [general]
    for (const key of ['sni', 'host'] as const) {
      const first = b.match[key]?.[0]
      if (first !== undefined) byName[key].collect(normalizePattern(first), lists)
    }
    firstInMerge(lists, k => {
      const reason = coverReason(routes[k].match, b.match)
      if (reason !== undefined) warnings.push(shadowWarning(chain.name, routes[k], b, reason))
      return reason !== undefined
    })
    const key = nameKey(b)
    if (key === undefined) general.push(j)
    else byName[key].add(j, b.match[key] ?? [])
  })
  return warnings
}

/** 'sni' (or 'host') when the route has names there and none is "*": it is filed by them. */
function nameKey (r: RouteSpec): 'sni' | 'host' | undefined {
  const named = (list: readonly string[] | undefined): boolean => list != null && list.length > 0 && !list.includes('*')
  if (named(r.match.sni)) return 'sni'
  if (named(r.match.host)) return 'host'
  return undefined
}

function shadowWarning (chain: string, a: RouteSpec, b: RouteSpec, reason: string): ShadowWarning {
  const line = a.pos != null ? ` (line ${a.pos.line})` : ''
  return {
    chain,
    route: b.id,
    by: a.id,
    ...(b.pos != null ? { pos: b.pos } : {}),
    message: `route "${b.id}" can never match: route "${a.id}"${line} is broader and comes first (${reason}); move "${b.id}" above it`
  }
}
