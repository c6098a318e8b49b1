// Checks of `stacks:`, `chains:` and `control:` that the schema cannot express: one action per
// route, chain names that exist, patterns, ranges, regexes and templates that compile, upstream
// URLs that can work, conditions the chain's probes can actually decide. Defensive like
// cross-check.ts: the data may also have failed the schema.
import { isIP } from 'node:net'
import { isDid } from '../identity/did.ts'
import { checkHostPattern } from '../chain/match/host-pattern.ts'
import { checkCidr } from '../chain/match/cidr.ts'
import { compileTemplate } from '../chain/template.ts'
import { parseHostPort } from './host-port.ts'
import { closest } from './suggest.ts'
import { ACTIONS } from './chain-schema.ts'
import { actionOf } from './chain-normalize.ts'
import type { Report } from './cross-check.ts'

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | undefined => v != null && typeof v === 'object' && !Array.isArray(v) ? v as Obj : undefined
const list = (v: unknown): unknown[] => Array.isArray(v) ? v : []
const many = (v: unknown): string[] => typeof v === 'string' ? [v] : list(v).filter((x): x is string => typeof x === 'string')
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const HTTP_CONDITIONS = ['host', 'path_prefix', 'path_regex', 'method', 'header'] as const
const HTTP_ACTIONS = ['http_proxy', 'serve', 'redirect', 'respond', 'kapi', 'app'] as const

export type UrlProblem = (text: string) => string | undefined

function unknownChain (name: string, names: string[]): string {
  const guess = closest(name, names)
  if (guess != null) return `names no chain "${name}"; did you mean "${guess}"?`
  return `names no chain "${name}"; ${names.length === 0 ? 'there is no chains section' : `chains: ${names.join(', ')}`}`
}

export function checkChains (root: Obj, report: Report, urlProblem: UrlProblem): void {
  const chains = obj(root.chains) ?? {}
  const names = Object.keys(chains)
  // Certificate ids a tls_terminate may take from ACME (undefined: no acme section at all).
  const acme = obj(root.acme)
  const acmeIds = acme == null ? undefined : list(acme.certificates).map(c => obj(c)?.id).filter((id): id is string => typeof id === 'string')
  checkStackChains(list(root.stacks), names, report)
  checkControl(obj(root.control), report)
  // Chains that are entered decrypted (the `then` of a tls_terminate) may match on sni/alpn
  // without probing tls: tls_terminate records what was negotiated.
  const decrypted = new Set<string>()
  for (const c of Object.values(chains)) {
    for (const r of list(obj(c)?.routes)) {
      const then = obj(obj(r)?.process)?.then
      if (typeof then === 'string') decrypted.add(then)
    }
  }
  // A SOCKS stack's chain may forward to rtcp://device/ or socks://proxy with no target: the
  // request's own port or host:port is added per request (src/chain/runtime/socks-decide.ts).
  const socksChains = new Set(list(root.stacks).map(obj).filter(s => s?.socks != null && typeof s.chain === 'string').map(s => s!.chain as string))
  for (const [name, c] of Object.entries(chains)) {
    const chain = obj(c)
    if (chain == null) continue
    const check: UrlProblem = !socksChains.has(name)
      ? urlProblem
      : (url) => {
          const m = /^(rtcp|socks):\/\/[^/]+\/?$/.exec(url)
          return m == null ? urlProblem(url) : urlProblem(url.replace(/\/?$/, m[1] === 'rtcp' ? '/:1' : '/target:1'))
        }
    checkChain(name, chain, { names, acmeIds, peers: Object.keys(obj(obj(root.rtcp)?.peers) ?? {}) }, decrypted.has(name), report, check)
  }
}

function checkStackChains (stacks: unknown[], names: string[], report: Report): void {
  stacks.forEach((s, i) => {
    const stack = obj(s)
    if (stack == null) return
    const at = ['stacks', String(i)]
    const hasChain = typeof stack.chain === 'string'
    const hasForward = typeof stack.forward === 'string'
    if (hasChain && hasForward) report([...at, 'forward'], 'give either chain or forward, not both (forward is short for a chain with one forward route)', 'key')
    else if (!hasChain && !hasForward) report(at, 'missing "chain" (the chain connections enter) or "forward" (one tunnel URL for everything)')
    if (hasChain && !names.includes(stack.chain as string)) report([...at, 'chain'], unknownChain(stack.chain as string, names))
    const socks = obj(stack.socks)
    if (socks != null) {
      if (hasForward) report([...at, 'socks'], 'a SOCKS stack needs a chain (its routes decide each request), not forward', 'key')
      const hp = typeof stack.listen === 'string' ? parseHostPort(stack.listen, 'listen') : undefined
      const login = socks.users_file != null || socks.users_env != null
      if (hp != null && typeof hp !== 'string' && !isLoopback(hp.host) && !login && socks.allow_open_proxy !== true) {
        report([...at, 'listen'], 'a SOCKS stack on a non-loopback address needs a login (socks.users_file or socks.users_env); set socks.allow_open_proxy: true only if an open proxy is really meant')
      }
    }
  })
}

function checkControl (control: Obj | undefined, report: Report): void {
  if (typeof control?.listen !== 'string') return
  const hp = parseHostPort(control.listen, 'listen')
  if (typeof hp === 'string') report(['control', 'listen'], `${hp}, got ${JSON.stringify(control.listen)}`)
  else if (!isLoopback(hp.host)) report(['control', 'listen'], `the control API listens on loopback only (127.0.0.1 or [::1]), got ${JSON.stringify(control.listen)}`)
}

function isLoopback (host: string): boolean {
  return host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
}

interface Known { names: string[], acmeIds: string[] | undefined, peers: string[] }

function checkChain (name: string, chain: Obj, known: Known, decrypted: boolean, report: Report, urlProblem: UrlProblem): void {
  const at = ['chains', name]
  const probes = many(chain.probe)
  if (chain.probe === undefined) probes.push('tls', 'http')
  const trusted = list(chain.trusted_proxies)
  trusted.forEach((entry, i) => {
    // A device (its did:dev, or the name of an rtcp peer) for streams that arrive over rtcp.
    if (typeof entry !== 'string' || isDid(entry) || known.peers.includes(entry)) return
    const why = checkCidr(entry)
    if (why != null) report([...at, 'trusted_proxies', String(i)], `${why}; or name a device (did:dev or an rtcp peer) for streams that arrive over rtcp`)
  })
  if (probes.includes('proxy_protocol') && trusted.length === 0) {
    report([...at, 'probe'], 'the proxy_protocol probe needs trusted_proxies: the address ranges whose PROXY headers are believed')
  }
  const ids = new Map<string, number>()
  list(chain.routes).forEach((r, i) => {
    const route = obj(r)
    if (route == null) return
    const rat = [...at, 'routes', String(i)]
    if (typeof route.id === 'string') {
      const first = ids.get(route.id)
      if (first != null) report([...rat, 'id'], `route id "${route.id}" is already used by route ${first} of this chain`)
      else ids.set(route.id, i)
    }
    const match = obj(route.match)
    if (match != null) checkMatch(match, [...rat, 'match'], probes, decrypted, report)
    const process = obj(route.process)
    if (process != null) checkProcess(process, [...rat, 'process'], known, probes, report, urlProblem)
    checkFilters(route.post_resp_filter, [...rat, 'post_resp_filter'], report)
  })
  checkFilters(chain.post_resp_filter, [...at, 'post_resp_filter'], report)
}

function checkRegex (source: unknown, at: string[], report: Report): void {
  if (typeof source !== 'string') return
  try {
    // eslint-disable-next-line no-new
    new RegExp(source)
  } catch (err) {
    report(at, `not a valid regular expression: ${(err as Error).message}`)
  }
}

function eachOf (v: unknown, at: string[], check: (s: string, where: string[]) => void): void {
  if (typeof v === 'string') check(v, at)
  else list(v).forEach((s, i) => { if (typeof s === 'string') check(s, [...at, String(i)]) })
}

function checkMatch (m: Obj, at: string[], probes: string[], decrypted: boolean, report: Report): void {
  for (const key of ['sni', 'host', 'target'] as const) {
    eachOf(m[key], [...at, key], (p, where) => {
      const why = checkHostPattern(p.toLowerCase())
      if (why != null) report(where, why)
    })
  }
  eachOf(m.source, [...at, 'source'], (c, where) => {
    const why = checkCidr(c)
    if (why != null) report(where, why)
  })
  eachOf(m.path_prefix, [...at, 'path_prefix'], (p, where) => {
    if (!p.startsWith('/')) report(where, `a path prefix starts with "/", got ${JSON.stringify(p)}`)
  })
  eachOf(m.method, [...at, 'method'], (p, where) => {
    if (!TOKEN.test(p)) report(where, `not an HTTP method, got ${JSON.stringify(p)}`)
  })
  eachOf(m.peer, [...at, 'peer'], (p, where) => {
    if (p.startsWith('did:') && !isDid(p)) report(where, `must be a peer name or a did:dev:<base64url> string, got ${JSON.stringify(p)}`)
  })
  checkRegex(m.path_regex, [...at, 'path_regex'], report)
  for (const [name, cond] of Object.entries(obj(m.header) ?? {})) {
    if (!TOKEN.test(name)) report([...at, 'header', name], `not a valid header name: ${JSON.stringify(name)}`, 'key')
    checkRegex(obj(cond)?.regex, [...at, 'header', name, 'regex'], report)
  }
  const httpKey = HTTP_CONDITIONS.find(k => m[k] !== undefined)
  if (httpKey != null && !probes.includes('http')) {
    report([...at, httpKey], `matching on ${httpKey} needs the http probe; add http to this chain's probe list`, 'key')
  }
  const tlsKey = (['sni', 'alpn'] as const).find(k => m[k] !== undefined)
  if (tlsKey != null && !probes.includes('tls') && !decrypted) {
    report([...at, tlsKey], `matching on ${tlsKey} needs the tls probe (or a chain entered through tls_terminate); add tls to this chain's probe list`, 'key')
  }
}

function upstreamUrls (v: unknown): Array<{ url: string, path: string[] }> {
  if (typeof v === 'string') return [{ url: v, path: [] }]
  const items = Array.isArray(v) ? v : list(obj(v)?.upstreams)
  const base = Array.isArray(v) ? [] : ['upstreams']
  return items.flatMap((u, i) => {
    if (typeof u === 'string') return [{ url: u, path: [...base, String(i)] }]
    const url = obj(u)?.url
    return typeof url === 'string' ? [{ url, path: [...base, String(i), 'url'] }] : []
  })
}

function checkTemplate (text: unknown, at: string[], report: Report): void {
  if (typeof text !== 'string') return
  try {
    compileTemplate(text)
  } catch (err) {
    report(at, (err as Error).message)
  }
}

function checkProcess (p: Obj, at: string[], known: Known, probes: string[], report: Report, urlProblem: UrlProblem): void {
  const actions = Object.keys(p).filter(k => (ACTIONS as readonly string[]).includes(k))
  if (actions.length === 0) {
    // A misspelt action is an unknown key, which the schema reports with a suggestion.
    if (Object.keys(p).some(k => k !== 'then')) return
    report(at, `give one action: ${ACTIONS.join(', ')}`)
    return
  }
  if (actions.length > 1) {
    report([...at, actions[1]], `give exactly one action; this route has ${actions.join(' and ')}`, 'key')
    return
  }
  const kind = actionOf(p) as string
  const v = p[kind]
  const names = known.names
  if (kind === 'tls_terminate') {
    if (typeof p.then !== 'string') report(at, 'tls_terminate needs "then": the chain the decrypted connection continues in')
    else if (!names.includes(p.then)) report([...at, 'then'], unknownChain(p.then, names))
  } else if (p.then !== undefined) {
    report([...at, 'then'], `"then" goes with tls_terminate only; ${kind} ends the chain`, 'key')
  }
  if ((HTTP_ACTIONS as readonly string[]).includes(kind) && !probes.includes('http')) {
    report([...at, kind], `${kind} answers HTTP requests; add http to this chain's probe list`, 'key')
  }
  if (kind === 'forward' || kind === 'http_proxy') {
    for (const { url, path } of upstreamUrls(v)) {
      const why = urlProblem(url)
      if (why != null) report([...at, kind, ...path], why)
    }
  }
  const o = obj(v)
  if (kind === 'http_proxy' && o != null) {
    checkRegex(obj(o.rewrite)?.regex, [...at, kind, 'rewrite', 'regex'], report)
    for (const [name, value] of Object.entries(obj(o.set_request_headers) ?? {})) {
      if (!TOKEN.test(name)) report([...at, kind, 'set_request_headers', name], `not a valid header name: ${JSON.stringify(name)}`, 'key')
      checkTemplate(value, [...at, kind, 'set_request_headers', name], report)
    }
  }
  if (kind === 'app' && o != null && typeof o.login === 'string') {
    if (!/^(https?:\/\/|\/)/.test(o.login)) report([...at, kind, 'login'], `the login page is an http(s) URL or a path, such as "https://{zone}/login", got ${JSON.stringify(o.login)}`)
    else checkTemplate(o.login, [...at, kind, 'login'], report)
  }
  if (kind === 'redirect') checkTemplate(typeof v === 'string' ? v : o?.to, typeof v === 'string' ? [...at, kind] : [...at, kind, 'to'], report)
  if (kind === 'respond' && o != null) {
    for (const [name, value] of Object.entries(obj(o.headers) ?? {})) {
      if (!TOKEN.test(name)) report([...at, kind, 'headers', name], `not a valid header name: ${JSON.stringify(name)}`, 'key')
      checkTemplate(value, [...at, kind, 'headers', name], report)
    }
  }
  if (kind === 'tls_terminate' && o != null) checkCertSource(o, [...at, kind], known.acmeIds, report)
  if (kind === 'zone' && !probes.includes('tls') && !probes.includes('http')) {
    report([...at, kind], 'zone finds the zone by the server name (SNI or Host); add tls or http to this chain\'s probe list', 'key')
  }
  if (kind === 'tls_terminate' && o != null) {
    list(o.certs).forEach((c, i) => eachOf(obj(c)?.sni, [...at, kind, 'certs', String(i), 'sni'], (s, where) => {
      const why = checkHostPattern(s.toLowerCase())
      if (why != null) report(where, why)
    }))
  }
}

/** Certificates come from files (certs) or from ACME (acme: <id>), never both, never neither. */
function checkCertSource (o: Obj, at: string[], acmeIds: string[] | undefined, report: Report): void {
  if (o.certs !== undefined && o.acme !== undefined) {
    report([...at, 'acme'], 'give either certs (files) or acme (a certificate id), not both', 'key')
    return
  }
  if (o.certs === undefined && o.acme === undefined) {
    report(at, 'tls_terminate needs certificates: certs (a list of { cert, key } files) or acme (the id of a certificate in the acme section)')
    return
  }
  if (typeof o.acme !== 'string') return
  if (acmeIds == null) report([...at, 'acme'], `names ACME certificate "${o.acme}", but there is no acme section`)
  else if (!acmeIds.includes(o.acme)) {
    const guess = closest(o.acme, acmeIds)
    report([...at, 'acme'], `names no certificate "${o.acme}" of acme.certificates; ${guess != null ? `did you mean "${guess}"?` : `ids: ${acmeIds.join(', ') || '(none)'}`}`)
  }
}

function checkFilters (v: unknown, at: string[], report: Report): void {
  list(v).forEach((f, i) => {
    const filter = obj(f)
    if (filter == null) return
    for (const key of ['set_header', 'add_header'] as const) {
      for (const [name, value] of Object.entries(obj(filter[key]) ?? {})) {
        if (!TOKEN.test(name)) report([...at, String(i), key, name], `not a valid header name: ${JSON.stringify(name)}`, 'key')
        checkTemplate(value, [...at, String(i), key, name], report)
      }
    }
    eachOf(filter.remove_header, [...at, String(i), 'remove_header'], (name, where) => {
      if (!TOKEN.test(name)) report(where, `not a valid header name: ${JSON.stringify(name)}`)
    })
  })
}
