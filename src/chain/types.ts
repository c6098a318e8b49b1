// Interfaces of the processing chain: the facts probes record about a connection or request, the
// normalized route specs the config loader produces, and the compiled route table's contract.
// Types only; implementations live in probes/, match/, http/, upstream/, actions/.
//
//   accept → probe (peek, record facts) → match (first route whose conditions all hold)
//          → process (one action) → post_resp_filter (HTTP responses, reverse order) → close
import type { Duplex, Readable } from 'node:stream'

/** An HTTP/1 request as the matchers see it. Header names are lower-case. */
export interface HttpRequestFacts {
  method: string
  /** The request-target as sent ("/a/b?x=1", or absolute-form "http://h/a"). */
  target: string
  /** Path part of the target, percent-encoding kept ("/a/b"); "/" for absolute-form without path, "*" for OPTIONS *. */
  path: string
  /** Query without "?" ('' when none). */
  query: string
  /** Host from absolute-form target or Host header, lower-cased, port removed; undefined when absent. */
  host?: string
  /** 10 for HTTP/1.0, 11 for HTTP/1.1. */
  version: 10 | 11
  /** Header pairs in arrival order, names lower-cased, values trimmed. */
  headers: ReadonlyArray<readonly [string, string]>
}

export interface AddressFacts {
  address: string
  port: number
}

/** Everything known about a connection when the match stage runs. */
export interface ConnFacts {
  /** Id of the stack (listener) that accepted the connection. */
  stack: string
  /** The port the stack listens on (0 for tunnel listeners without ports). */
  localPort: number
  /** The client: the socket's peer, or what a trusted PROXY header said. */
  source: AddressFacts
  /** The socket's own peer address when a PROXY header replaced `source`. */
  via?: AddressFacts
  /** did:dev of the device for streams that arrived over rtcp. */
  peer?: string
  /** From the TLS ClientHello, when the connection starts with one. */
  tls?: { sni?: string, alpn: readonly string[] }
  /** Set after tls_terminate: the connection is decrypted and this is what was negotiated. */
  terminated?: { sni?: string, alpn?: string }
  /** The (first) HTTP request, when the connection carries HTTP/1. */
  http?: HttpRequestFacts
  /** A SOCKS5 request, for connections that arrived on a SOCKS stack. */
  socks?: SocksRequestInfo
}

export interface SocksRequestInfo {
  command: 'connect' | 'udp_associate'
  /** Target host as the client sent it: lower-cased name, or an IP literal (IPv6 without brackets). */
  host: string
  port: number
  /** The authenticated username, when the stack requires a login. */
  user?: string
}

export type ProbeName = 'proxy_protocol' | 'tls' | 'http'

export interface HeaderCondition {
  /** Exact value (case-sensitive). */
  equals?: string
  /** ECMAScript regex source, tested against the value. */
  regex?: string
  /** true: the header must be present; false: it must be absent. */
  present?: boolean
}

/** All given conditions must hold (AND). Lists within one condition are alternatives (OR). */
export interface MatchSpec {
  /** Host patterns: "a.example.com", "*.example.com" (one or more labels), "*" (any, including no SNI). Lower-case. */
  sni?: readonly string[]
  /** Host patterns as for sni, tested against the HTTP request's host. */
  host?: readonly string[]
  /** ALPN protocol ids; matches when the client offered (or negotiated) any of them. */
  alpn?: readonly string[]
  /** Path prefixes; "/api" matches "/api", "/api/x" and "/api?q", not "/apix". "/api/" matches only below. */
  pathPrefix?: readonly string[]
  /** ECMAScript regex source tested against the path. */
  pathRegex?: string
  /** Upper-case methods. */
  method?: readonly string[]
  /** Lower-case header name → condition. */
  header?: Readonly<Record<string, HeaderCondition>>
  /** CIDRs ("10.0.0.0/8", "::1/128") or single addresses, tested against source.address. */
  source?: readonly string[]
  /** Stack ids. */
  listener?: readonly string[]
  /** did:dev ids (peer names are resolved to dids by the loader). */
  peer?: readonly string[]
  /** What the probes recognised: 'tls' (a ClientHello), 'http' (an HTTP/1 request), 'other'. */
  protocol?: ReadonlyArray<'tls' | 'http' | 'other'>
  /** SOCKS requests: host patterns tested against the requested target host. */
  target?: readonly string[]
  /** SOCKS requests: the requested target port is one of these. */
  targetPort?: readonly number[]
  /** SOCKS requests: the authenticated username is one of these. */
  user?: readonly string[]
}

export type Balance = 'round_robin' | 'random' | 'hash' | 'least_time'

export interface UpstreamSpec {
  /** Tunnel URL: tcp://, tls://, rtcp://, mem://, ... */
  url: string
  /** Relative share for round_robin (smooth weighted) and random; default 1. */
  weight: number
}

export interface UpstreamGroupSpec {
  upstreams: readonly UpstreamSpec[]
  balance: Balance
  /** Deadline for opening one upstream stream; on expiry the next upstream is tried. */
  connectTimeoutMs: number
  /** How many upstreams to try in total for one connection (failover), at least 1. */
  tries: number
  /** Passive health: after `failures` consecutive failures an upstream is skipped for `cooldownMs`. */
  health: { failures: number, cooldownMs: number }
  /** Send a PROXY protocol header first so the upstream sees the real client address. */
  proxyProtocol?: 'v1' | 'v2'
}

export interface CertSpec {
  /** Absolute paths. */
  certFile: string
  keyFile: string
  /** Names this pair serves; empty: the names in the certificate (SAN dNSNames, else CN). */
  sni: readonly string[]
}

export interface PathRewrite {
  stripPrefix?: string
  addPrefix?: string
  /** Applied after strip/add: path.replace(new RegExp(regex), replace). */
  regex?: string
  replace?: string
}

export interface HttpProxySpec extends UpstreamGroupSpec {
  rewrite: PathRewrite
  /** Request headers set (replacing), names lower-case; values are templates ({host}, {path}, ...). */
  setRequestHeaders: Readonly<Record<string, string>>
  removeRequestHeaders: readonly string[]
  /** Add X-Forwarded-For/-Proto/-Host and Forwarded-like facts (default true). */
  xForwarded: boolean
  /** Send the client's Host upstream (default true); false: the upstream URL's host:port. */
  preserveHost: boolean
  /** Close idle pooled upstream connections after this long. */
  idleTimeoutMs: number
  /** Deadline for the upstream's response head after the request was sent. */
  responseTimeoutMs: number
}

export type ProcessSpec =
  | { kind: 'forward', group: UpstreamGroupSpec }
  /**
   * Certificates come from files (`certs`) or, with `acme`, from the process's ACME manager by
   * certificate id (ChainDeps.certs); then `certs` is empty.
   */
  | { kind: 'tls_terminate', certs: readonly CertSpec[], acme?: string, then: string, alpn: readonly string[], handshakeTimeoutMs: number }
  | { kind: 'http_proxy', proxy: HttpProxySpec }
  | { kind: 'serve', dir: string, index: readonly string[] }
  | { kind: 'redirect', to: string, status: 301 | 302 | 303 | 307 | 308 }
  | { kind: 'respond', status: number, headers: Readonly<Record<string, string>>, body: string }
  | { kind: 'reject', status: number }
  | { kind: 'drop' }
  /** SOCKS requests: connect to the requested target directly. */
  | { kind: 'direct' }
  /** SN ingress: the whole connection goes, as bytes, to the zone its SNI (or Host) belongs to. */
  | { kind: 'zone', zone: ZoneSpec }
  /** The zone's service API: /<prefix>/<svc>/... is proxied to service://<svc>. */
  | { kind: 'kapi', kapi: KapiSpec }
  /** The zone's apps: <app>.<zone> is proxied to the app's service; private apps need a session. */
  | { kind: 'app', app: AppSpec }

/** Upstream settings shared by the actions that proxy to service://<svc> URLs. */
export interface ServiceProxySpec {
  /** Deadline for opening service://<svc> (then a coded 502). */
  connectTimeoutMs: number
  /** Deadline for the service's response head after the request was sent. */
  responseTimeoutMs: number
  /** Close idle pooled connections to a service after this long. */
  idleTimeoutMs: number
}

export interface KapiSpec extends ServiceProxySpec {
  /** Path prefix before the service name, without a trailing "/" ("/kapi"). */
  prefix: string
  /** Send the path without "<prefix>/<svc>" ("/kapi/x/rest?q" → "/rest?q"). */
  strip: boolean
}

export interface AppSpec extends ServiceProxySpec {
  /** Template of the zone's login page ({zone}, {host}, ...); ?redirect=<original URL> is added. */
  login: string
}

/**
 * What a kapi/app action decided for one request: proxy it to a service (with the head edited
 * after the usual rewriting) or answer it here. Coded errors with httpStatus are thrown instead.
 */
export type ServiceDecision =
  | { kind: 'proxy', upstream: UpstreamConnector, spec: HttpProxySpec, editHeaders?: (headers: Array<[string, string]>) => void }
  | { kind: 'answer', response: LocalResponse }

export interface ZoneSpec {
  /** What to reach in the zone ("https", "http"); handed to ChainDeps.zones.resolve. */
  target: string
  /** Write a PROXY header (real client and destination) first on the zone's stream. */
  proxyProtocol?: 'v1' | 'v2'
  /** Deadline for opening one of the zone's upstreams; on expiry the next is tried. */
  connectTimeoutMs: number
}

export type ResponseFilterSpec =
  | { kind: 'set_header', headers: Readonly<Record<string, string>> }
  | { kind: 'add_header', headers: Readonly<Record<string, string>> }
  | { kind: 'remove_header', names: readonly string[] }
  | { kind: 'rewrite_status', from?: number, to: number }

/** Where a spec came from in the config file, for warnings and dry runs. */
export interface SourcePos { file: string, line: number, col: number }

export interface RouteSpec {
  /** Unique within its chain; default "<index>" (the position, from 0). */
  id: string
  match: MatchSpec
  process: ProcessSpec
  postRespFilter: readonly ResponseFilterSpec[]
  pos?: SourcePos
}

export interface ChainSpec {
  name: string
  probe: readonly ProbeName[]
  /** Bytes a probe may peek before giving up, and how long the client has to send them. */
  probeMaxBytes: number
  probeTimeoutMs: number
  /** CIDRs whose PROXY headers are believed. */
  trustedProxies: readonly string[]
  routes: readonly RouteSpec[]
  /** Applied to every HTTP response of this chain, after the route's own filters. */
  postRespFilter: readonly ResponseFilterSpec[]
}

/** A compiled route: the spec plus its matcher. */
export interface CompiledRoute {
  readonly chain: string
  readonly index: number
  readonly spec: RouteSpec
  matches(facts: Readonly<ConnFacts>): boolean
}

export interface RouteExplanation {
  /** The route taken, or undefined when none matched. */
  route?: CompiledRoute
  /** One line per route considered, in order: "route api: sni api.example.com matched", "route 0: host x ≠ y". */
  trace: string[]
}

export interface RouteTable {
  readonly chain: ChainSpec
  readonly routes: readonly CompiledRoute[]
  /** First matching route in file order, or undefined. Exact sni/host lookups do not scan every route. */
  lookup(facts: Readonly<ConnFacts>): CompiledRoute | undefined
  /** The same decision as lookup, with the reasons (for `zonegate route`). */
  explain(facts: Readonly<ConnFacts>): RouteExplanation
}

export interface ShadowWarning {
  chain: string
  /** The route that can never (or only partly) match. */
  route: string
  /** The earlier, broader route. */
  by: string
  pos?: SourcePos
  message: string
}

/** An opened upstream stream, chosen by an UpstreamGroup (balancing, failover, health). */
export interface UpstreamConnection {
  readonly stream: Duplex
  /** The upstream's URL as configured. */
  readonly url: string
  /** True when the stream came from the caller's idle pool (`reuse`) rather than a new open. */
  readonly reused: boolean
  /**
   * Say how the exchange went, once: ok with the time to the first response byte (least_time
   * learns from it), or a failure (passive health counts it). Idempotent.
   */
  report(outcome: { ok: true, firstByteMs?: number } | { ok: false }): void
}

export interface ConnectOptions {
  signal: AbortSignal
  /** The client, for hash balancing and the PROXY header. */
  source: AddressFacts
  /** The address the client connected to, for the PROXY header. */
  destination: AddressFacts
  /** A pooled idle stream to this upstream URL, if the caller keeps one (HTTP keep-alive). */
  reuse?: (url: string) => Duplex | undefined
}

/** Balancing, failover before any byte flows, passive health, optional PROXY header. */
export interface UpstreamConnector {
  connect(options: ConnectOptions): Promise<UpstreamConnection>
}

/** What an HTTP action answers without an upstream (respond, redirect, serve, reject). */
export interface LocalResponse {
  status: number
  /** Header pairs; the engine adds content-length/date/connection when missing. */
  headers: Array<[string, string]>
  /** Absent for HEAD requests, 204/304 and empty bodies. */
  body?: Buffer | Readable
  /** Body length when known (required with a Readable body unless it is chunked by the engine). */
  length?: number
}
