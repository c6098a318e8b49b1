// Compiles a route's MatchSpec into one test function plus an explainer. Conditions are AND-ed;
// the alternatives inside one condition are OR-ed; an empty MatchSpec matches everything.
//
//   sni          host patterns vs facts.tls?.sni ?? facts.terminated?.sni ("*" also matches no SNI)
//   host         host patterns vs facts.http.host ("*" also matches a request without Host)
//   alpn         facts.terminated.alpn when set, else any of the ids the ClientHello offered
//   path_prefix  segment-boundary prefixes of facts.http.path (see path-prefix.ts)
//   path_regex   RegExp(source), no flags, tested against facts.http.path
//   method       exact, upper-case
//   header       per name, the first value of that header: equals (exact, case-sensitive),
//                regex (tested against the value), present true/false (false: header absent)
//   source       CIDRs vs facts.source.address (IPv4-mapped IPv6 matches IPv4 ranges)
//   listener     facts.stack; peer: facts.peer (did:dev)
//   protocol     'tls' when a ClientHello was seen, else 'http' when an HTTP request was, else 'other'
// A condition on HTTP facts (host, path_prefix, path_regex, method, header) fails when there is no
// HTTP request. Regexes and CIDR lists are compiled once, here; matching never throws.
import type { ConnFacts, HeaderCondition, HttpRequestFacts, MatchSpec } from '../types.ts'
import { checkHostPattern, hostMatchesNormalized, normalizeHost, normalizePattern } from './host-pattern.ts'
import { compileCidrs } from './cidr.ts'
import { pathPrefixMatches } from './path-prefix.ts'
import { CHAIN_ERR_BAD_HOST_PATTERN, CHAIN_ERR_BAD_REGEX } from './errors.ts'

export interface CompiledMatch {
  test (facts: Readonly<ConnFacts>): boolean
  /** One line per condition, in spec order: "sni a.test matched", "host a.test ≠ b.test". */
  explain (facts: Readonly<ConnFacts>): string[]
}

interface Condition {
  test (facts: Readonly<ConnFacts>): boolean
  explain (facts: Readonly<ConnFacts>): string
}

const NO_HTTP = 'no HTTP request'
/** How many alternatives a failure line lists before "… (N more)". */
const LIST_MAX = 5

/** The name the sni condition tests, normalized; shared with the route index in table.ts. */
export function sniOf (facts: Readonly<ConnFacts>): string | undefined {
  return normalizeHost(facts.tls?.sni ?? facts.terminated?.sni)
}

export function protocolOf (facts: Readonly<ConnFacts>): 'tls' | 'http' | 'other' {
  return facts.tls != null ? 'tls' : facts.http != null ? 'http' : 'other'
}

/** A SOCKS condition: fails, with a reason, for a connection that is not a SOCKS request. */
function socksCondition (name: string, shown: string, test: (s: NonNullable<ConnFacts['socks']>) => boolean, value: (s: NonNullable<ConnFacts['socks']>) => string): Condition {
  return {
    test: (f) => f.socks != null && test(f.socks),
    explain: (f) => f.socks == null ? `${name} ${shown}: no SOCKS request` : `${name} ${shown} ${test(f.socks) ? 'matched' : '≠'} ${value(f.socks)}`
  }
}

export function compileMatch (spec: MatchSpec): CompiledMatch {
  const conditions: Condition[] = []
  if (spec.target != null) {
    const patterns = spec.target.map(p => { const why = checkHostPattern(p); if (why != null) throw new CHAIN_ERR_BAD_HOST_PATTERN(p, why); return normalizePattern(p) })
    conditions.push(socksCondition('target', patterns.join(' | '), s => patterns.some(p => hostMatchesNormalized(p, normalizeHost(s.host))), s => s.host))
  }
  if (spec.targetPort != null) {
    const ports = new Set(spec.targetPort)
    conditions.push(socksCondition('target_port', [...ports].join(' | '), s => ports.has(s.port), s => String(s.port)))
  }
  if (spec.user != null) {
    const users = new Set(spec.user)
    conditions.push(socksCondition('user', [...users].join(' | '), s => s.user != null && users.has(s.user), s => s.user ?? '(no login)'))
  }
  if (spec.sni != null) conditions.push(hostCondition('sni', spec.sni, sniOf, '(no SNI)'))
  if (spec.host != null) conditions.push(hostCondition('host', spec.host, f => f.http == null ? null : normalizeHost(f.http.host), '(no Host)'))
  if (spec.alpn != null) conditions.push(alpnCondition(spec.alpn))
  if (spec.pathPrefix != null) {
    const prefixes = spec.pathPrefix
    conditions.push(httpCondition('path_prefix', prefixes, r => prefixes.find(p => pathPrefixMatches(p, r.path)), r => r.path))
  }
  if (spec.pathRegex != null) {
    const re = compileRegex(spec.pathRegex, 'path_regex')
    conditions.push(httpCondition('path_regex', [spec.pathRegex], r => re.test(r.path) ? spec.pathRegex : undefined, r => r.path))
  }
  if (spec.method != null) {
    const methods = spec.method
    conditions.push(httpCondition('method', methods, r => methods.includes(r.method) ? r.method : undefined, r => r.method))
  }
  for (const [name, cond] of Object.entries(spec.header ?? {})) conditions.push(headerCondition(name, cond))
  if (spec.source != null) {
    const inRange = compileCidrs(spec.source)
    const list = spec.source
    const each = list.map(c => compileCidrs([c]))
    const held = (f: Readonly<ConnFacts>): string | undefined => list.find((_, i) => each[i](f.source.address))
    conditions.push(listCondition('source', list, held, f => f.source.address, f => inRange(f.source.address)))
  }
  if (spec.listener != null) conditions.push(exactCondition('listener', spec.listener, f => f.stack, '(no listener)'))
  if (spec.peer != null) conditions.push(exactCondition('peer', spec.peer, f => f.peer, '(no peer)'))
  if (spec.protocol != null) conditions.push(exactCondition('protocol', spec.protocol, protocolOf, ''))

  if (conditions.length === 0) return { test: () => true, explain: () => [] }
  if (conditions.length === 1) {
    const only = conditions[0]
    return { test: only.test, explain: facts => [only.explain(facts)] }
  }
  return {
    test (facts) {
      for (const c of conditions) if (!c.test(facts)) return false
      return true
    },
    explain: facts => conditions.map(c => c.explain(facts))
  }
}

/**
 * A condition whose outcome is "which alternative held" (undefined: none), so that test and
 * explain share one code path. `fact` renders what was compared, for the explanation.
 */
function listCondition (
  label: string,
  alternatives: readonly string[],
  held: (facts: Readonly<ConnFacts>) => string | undefined,
  fact: (facts: Readonly<ConnFacts>) => string,
  test: (facts: Readonly<ConnFacts>) => boolean = facts => held(facts) !== undefined
): Condition {
  return {
    test,
    explain (facts) {
      const shown = fact(facts)
      const which = held(facts)
      if (which !== undefined) return `${label} ${which} matched${aside(which, shown)}`
      return `${label} ${listText(alternatives)} ≠ ${shown}`
    }
  }
}

function hostCondition (
  label: string,
  patterns: readonly string[],
  /** The normalized name; undefined when there is none, null when there is no HTTP request. */
  nameOf: (facts: Readonly<ConnFacts>) => string | undefined | null,
  none: string
): Condition {
  for (const p of patterns) {
    const why = checkHostPattern(p)
    if (why !== undefined) throw new CHAIN_ERR_BAD_HOST_PATTERN(p, why)
  }
  const normalized = patterns.map(normalizePattern)
  // For test(): a set of exact names and a short list of wildcards, so long name lists stay cheap.
  const any = normalized.includes('*')
  const exact = new Set(normalized.filter(p => !p.startsWith('*')))
  const wildcards = normalized.filter(p => p.startsWith('*.'))
  const held = (facts: Readonly<ConnFacts>): string | undefined => {
    const name = nameOf(facts)
    if (name === null) return undefined
    const i = normalized.findIndex(p => hostMatchesNormalized(p, name))
    return i < 0 ? undefined : patterns[i]
  }
  return {
    test (facts) {
      const name = nameOf(facts)
      if (name === null) return false
      if (any) return true
      if (name === undefined) return false
      if (exact.has(name)) return true
      for (const w of wildcards) if (hostMatchesNormalized(w, name)) return true
      return false
    },
    explain (facts) {
      const name = nameOf(facts)
      if (name === null) return `${label} ${listText(patterns)}: ${NO_HTTP}`
      const shown = name ?? none
      const which = held(facts)
      if (which !== undefined) return `${label} ${which} matched${aside(which, shown)}`
      return `${label} ${listText(patterns)} ≠ ${shown}`
    }
  }
}

function alpnCondition (ids: readonly string[]): Condition {
  const held = (facts: Readonly<ConnFacts>): string | undefined => {
    const negotiated = facts.terminated?.alpn
    if (negotiated != null) return ids.includes(negotiated) ? negotiated : undefined
    return facts.tls?.alpn.find(a => ids.includes(a))
  }
  const shown = (facts: Readonly<ConnFacts>): string => {
    const negotiated = facts.terminated?.alpn
    if (negotiated != null) return negotiated
    const offered = facts.tls?.alpn ?? []
    return offered.length === 0 ? '(none offered)' : offered.join(', ')
  }
  return listCondition('alpn', ids, held, shown)
}

function httpCondition (
  label: string,
  alternatives: readonly string[],
  held: (req: HttpRequestFacts) => string | undefined,
  fact: (req: HttpRequestFacts) => string
): Condition {
  const inner = listCondition(label, alternatives, f => held(f.http as HttpRequestFacts), f => fact(f.http as HttpRequestFacts))
  return {
    test: facts => facts.http != null && inner.test(facts),
    explain: facts => facts.http == null ? `${label} ${listText(alternatives)}: ${NO_HTTP}` : inner.explain(facts)
  }
}

function headerCondition (name: string, cond: HeaderCondition): Condition {
  const re = cond.regex != null ? compileRegex(cond.regex, `header ${name}`) : undefined
  const want = describeHeader(cond)
  const label = `header ${name}`
  const valueOf = (req: HttpRequestFacts): string | undefined => req.headers.find(h => h[0] === name)?.[1]
  const holds = (value: string | undefined): boolean => {
    if (cond.present === false) return value === undefined
    if (value === undefined) return false
    if (cond.equals !== undefined && value !== cond.equals) return false
    return re === undefined || re.test(value)
  }
  return {
    test: facts => facts.http != null && holds(valueOf(facts.http)),
    explain (facts) {
      if (facts.http == null) return `${label} ${want}: ${NO_HTTP}`
      const value = valueOf(facts.http)
      const shown = value === undefined ? '(absent)' : JSON.stringify(value)
      return holds(value) ? `${label} ${want} matched` : `${label} ${want} ≠ ${shown}`
    }
  }
}

function describeHeader (cond: HeaderCondition): string {
  if (cond.present === false) return 'absent'
  const parts: string[] = []
  if (cond.equals !== undefined) parts.push(`= ${JSON.stringify(cond.equals)}`)
  if (cond.regex != null) parts.push(`~ /${cond.regex}/`)
  return parts.length === 0 ? 'present' : parts.join(' ')
}

function exactCondition<T extends string> (
  label: string,
  alternatives: readonly T[],
  fact: (facts: Readonly<ConnFacts>) => T | string | undefined,
  none: string
): Condition {
  const set = new Set<string>(alternatives)
  return listCondition(label, alternatives, f => {
    const v = fact(f)
    return v !== undefined && set.has(v) ? v : undefined
  }, f => fact(f) ?? none)
}

function compileRegex (source: string, where: string): RegExp {
  try {
    // No flags and no `g`: test() stays stateless across connections.
    return new RegExp(source)
  } catch (err) {
    throw new CHAIN_ERR_BAD_REGEX(source, where, (err as Error).message, { cause: err })
  }
}

/** What was compared, after "matched", unless the alternative already says it: " (www.a.test)". */
function aside (which: string, shown: string): string {
  if (which === shown) return ''
  return shown.startsWith('(') ? ` ${shown}` : ` (${shown})`
}

function listText (list: readonly string[]): string {
  if (list.length <= LIST_MAX) return list.join(' | ')
  return `${list.slice(0, LIST_MAX).join(' | ')} | … (${list.length - LIST_MAX} more)`
}
