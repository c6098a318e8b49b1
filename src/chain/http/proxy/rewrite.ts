// Head edits on the way through: the request head sent upstream (path rewrite, header set/remove,
// X-Forwarded-*, hop-by-hop removal, Host) and the response head sent to the client.
import type { ConnFacts, HttpProxySpec, HttpRequestFacts, PathRewrite } from '../../types.ts'
import type { HeaderPair, RequestHead, ResponseHead } from '../types.ts'

/** Hop-by-hop fields (RFC 9110 §7.6.1) that never cross the proxy; Upgrade only when upgrading. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'])

/** Lower-case names listed in Connection headers (they are hop-by-hop too). */
function connectionTokens (headers: HeaderPair[]): Set<string> | undefined {
  let out: Set<string> | undefined
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0]
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue
    for (const t of headers[i][1].split(',')) {
      const token = t.trim().toLowerCase()
      if (token.length > 0) (out ??= new Set()).add(token)
    }
  }
  return out
}

/** Headers without hop-by-hop fields; `keepUpgrade` keeps Upgrade (an upgrade is being forwarded). */
export function endToEnd (headers: HeaderPair[], keepUpgrade: boolean, extraDrop?: ReadonlySet<string>): HeaderPair[] {
  const listed = connectionTokens(headers)
  const out: HeaderPair[] = []
  for (let i = 0; i < headers.length; i++) {
    const lower = headers[i][0].toLowerCase()
    if (HOP_BY_HOP.has(lower) && !(keepUpgrade && lower === 'upgrade')) continue
    if (listed !== undefined && listed.has(lower) && !(keepUpgrade && lower === 'upgrade')) continue
    if (extraDrop !== undefined && extraDrop.has(lower)) continue
    out.push(headers[i])
  }
  return out
}

/** Does this request ask for a protocol upgrade (Upgrade field plus the "upgrade" Connection token)? */
export function isUpgrade (head: RequestHead): boolean {
  const tokens = connectionTokens(head.headers)
  if (tokens === undefined || !tokens.has('upgrade')) return false
  for (const [name] of head.headers) if (name.length === 7 && name.toLowerCase() === 'upgrade') return true
  return false
}

const regexCache = new WeakMap<PathRewrite, RegExp>()

export function rewritePath (path: string, rw: PathRewrite): string {
  if (rw.stripPrefix !== undefined && rw.stripPrefix.length > 0 && path.startsWith(rw.stripPrefix)) {
    const rest = path.slice(rw.stripPrefix.length)
    // "/api" strips "/api/x" to "/x" and "/api" to "/", but not "/apix".
    if (rest.length === 0) path = '/'
    else if (rest[0] === '/' || rw.stripPrefix.endsWith('/')) path = rest[0] === '/' ? rest : '/' + rest
  }
  if (rw.addPrefix !== undefined && rw.addPrefix.length > 0) {
    const prefix = rw.addPrefix.endsWith('/') ? rw.addPrefix.slice(0, -1) : rw.addPrefix
    path = prefix + path
  }
  if (rw.regex !== undefined) {
    let re = regexCache.get(rw)
    if (re === undefined) { re = new RegExp(rw.regex); regexCache.set(rw, re) }
    path = path.replace(re, rw.replace ?? '')
  }
  return path
}

/** Values of set_request_headers are templates: {host}, {path}, {query}, {method}, {remote_addr}, {scheme}. */
function expand (template: string, req: HttpRequestFacts, conn: ConnFacts): string {
  if (!template.includes('{')) return template
  return template.replace(/\{(host|path|query|method|remote_addr|scheme)\}/g, (_m, key: string) => {
    switch (key) {
      case 'host': return req.host ?? ''
      case 'path': return req.path
      case 'query': return req.query
      case 'method': return req.method
      case 'remote_addr': return conn.source.address
      default: return conn.terminated !== undefined ? 'https' : 'http'
    }
  })
}

export interface UpstreamHeadInput {
  head: RequestHead
  facts: HttpRequestFacts
  conn: ConnFacts
  spec: HttpProxySpec
  upgrade: boolean
  /** host:port of the upstream URL, used when preserveHost is false. */
  upstreamHost: string
}

const removeSets = new WeakMap<readonly string[], ReadonlySet<string>>()

/** The request head to send upstream. Always origin-form (absolute-form is for proxies, not origins). */
export function upstreamRequestHead (input: UpstreamHeadInput): { method: string, target: string, version: 10 | 11, headers: HeaderPair[] } {
  const { head, facts, conn, spec } = input
  let remove = removeSets.get(spec.removeRequestHeaders)
  if (remove === undefined) {
    remove = new Set(spec.removeRequestHeaders.map(n => n.toLowerCase()))
    removeSets.set(spec.removeRequestHeaders, remove)
  }
  const headers = endToEnd(head.headers, input.upgrade, remove.size > 0 ? remove : undefined)
  let target = head.target
  if (facts.path !== '*' && !(head.method === 'CONNECT')) {
    const path = rewritePath(facts.path, spec.rewrite)
    target = facts.query.length > 0 ? `${path}?${facts.query}` : path
  }
  if (spec.xForwarded) {
    let xff: string | undefined
    for (let i = headers.length - 1; i >= 0; i--) {
      const lower = headers[i][0].toLowerCase()
      if (lower === 'x-forwarded-for') { xff = xff === undefined ? headers[i][1] : `${headers[i][1]}, ${xff}`; headers.splice(i, 1) } else if (lower === 'x-forwarded-proto' || lower === 'x-forwarded-host') headers.splice(i, 1)
    }
    headers.push(['X-Forwarded-For', xff === undefined ? conn.source.address : `${xff}, ${conn.source.address}`])
    headers.push(['X-Forwarded-Proto', conn.terminated !== undefined ? 'https' : 'http'])
    const host = hostField(head.headers) ?? facts.host
    if (host !== undefined) headers.push(['X-Forwarded-Host', host])
  }
  if (!spec.preserveHost) setHeader(headers, 'host', input.upstreamHost)
  else if (hostField(headers) === undefined && facts.host !== undefined) headers.push(['Host', facts.host])
  for (const name in spec.setRequestHeaders) setHeader(headers, name, expand(spec.setRequestHeaders[name], facts, conn))
  if (input.upgrade) headers.push(['Connection', 'upgrade'])
  // HTTP/1.0 closes by default; our hop to the upstream stays reusable regardless of the client.
  else if (head.version === 10) headers.push(['Connection', 'keep-alive'])
  return { method: head.method, target, version: head.version, headers }
}

function hostField (headers: HeaderPair[]): string | undefined {
  for (const [name, value] of headers) if (name.length === 4 && name.toLowerCase() === 'host') return value
  return undefined
}

/** Replace every field named `lowerName` by one with `value` (in the first one's place). */
export function setHeader (headers: HeaderPair[], lowerName: string, value: string): void {
  let at = -1
  for (let i = headers.length - 1; i >= 0; i--) {
    if (headers[i][0].toLowerCase() === lowerName) { if (at >= 0) headers.splice(at, 1); at = i }
  }
  if (at >= 0) headers[at] = [headers[at][0], value]
  else headers.push([lowerName, value])
}

/**
 * The response head for the client: hop-by-hop fields removed (Upgrade kept on a 101), a
 * Content-Length dropped when Transfer-Encoding is present (RFC 9112 §6.3), and our own
 * Connection field telling the client whether this connection stays open.
 */
export function clientResponseHead (up: ResponseHead, keepClient: boolean, clientVersion: 10 | 11): ResponseHead {
  const switching = up.status === 101
  let headers = endToEnd(up.headers, switching)
  let hasTe = false
  for (const [name] of headers) if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') { hasTe = true; break }
  if (hasTe) headers = headers.filter(([name]) => name.toLowerCase() !== 'content-length')
  if (switching) headers.push(['Connection', 'upgrade'])
  else if (!keepClient) headers.push(['Connection', 'close'])
  else if (clientVersion === 10) headers.push(['Connection', 'keep-alive'])
  return { version: up.version, status: up.status, reason: up.reason, headers, bytes: 0 }
}
