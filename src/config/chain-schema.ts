// The YAML shape of `chains:` (and the stacks that enter them) as TypeBox schemas. A route's
// `process` is one mapping with one key per action, not a union, so a mistake gets one plain
// message ("unknown key", "give exactly one action") instead of one per union branch; the
// exactly-one rule and everything that needs context (chain names, patterns, regexes, URLs) is
// checked in chain-check.ts. Short forms ("forward: tcp://…", "sni: a.test") are accepted where
// a person would write them and normalised in chain-normalize.ts.
import { Type, type TSchema } from '@sinclair/typebox'
import { DURATION_PATTERN, SIZE_PATTERN } from './units.ts'
import { EXPECT, closed } from './schema-keywords.ts'

export const PROBE_NAMES = Object.freeze(['proxy_protocol', 'tls', 'http'] as const)
export const BALANCES = Object.freeze(['round_robin', 'random', 'hash', 'least_time'] as const)
export const PROTOCOLS = Object.freeze(['tls', 'http', 'other'] as const)
export const ACTIONS = Object.freeze(['forward', 'tls_terminate', 'http_proxy', 'serve', 'redirect', 'respond', 'reject', 'drop', 'direct', 'zone', 'kapi', 'app'] as const)
export const FILTERS = Object.freeze(['set_header', 'add_header', 'remove_header', 'rewrite_status'] as const)
export const REDIRECT_STATUSES = Object.freeze([301, 302, 303, 307, 308] as const)

export const CHAIN_DEFAULTS = Object.freeze({
  probe: ['tls', 'http'],
  probeTimeout: '5s',
  probeMaxBytes: '64KiB',
  connectTimeout: '5s',
  tries: 2,
  healthFailures: 3,
  healthCooldown: '10s',
  handshakeTimeout: '10s',
  zoneTarget: 'https',
  kapiPrefix: '/kapi',
  idleTimeout: '60s',
  responseTimeout: '60s'
})

const enumOf = (values: readonly string[], description: string, extra: Record<string, unknown> = {}): TSchema =>
  Type.Unsafe<string>({ type: 'string', enum: [...values], description, ...extra })

const Duration = (description: string, def: string): TSchema => Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: DURATION_PATTERN })],
  { description, default: def, [EXPECT]: 'a duration such as "10s", "250ms", "2m" or a number of milliseconds' })
const Size = (description: string, def: string): TSchema => Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: SIZE_PATTERN })],
  { description, default: def, [EXPECT]: 'a size such as "64KiB", "16KiB" or a number of bytes' })

/**
 * Ajv applies no defaults inside anyOf branches (and strict mode refuses the schema that has
 * them), so union members carry none; chain-normalize.ts applies them and descriptions name them.
 */
function union (members: TSchema[], options: Record<string, unknown>): TSchema {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip)
    if (v == null || typeof v !== 'object') return v
    const out: Record<string | symbol, unknown> = {}
    for (const k of Reflect.ownKeys(v)) if (k !== 'default') out[k] = strip((v as Record<string | symbol, unknown>)[k])
    return out
  }
  return Type.Union(members.map(m => strip(m) as TSchema), options)
}

/** One string or a list of them; "a.test" means ["a.test"]. */
const OneOrMany = (description: string): TSchema => Type.Union([
  Type.String({ minLength: 1 }),
  Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })
], { description, [EXPECT]: 'a string or a list of strings' })

const HeaderCondition = Type.Union([
  Type.String(),
  Type.Boolean(),
  Type.Object({
    equals: Type.Optional(Type.String()),
    regex: Type.Optional(Type.String({ minLength: 1 })),
    present: Type.Optional(Type.Boolean())
  }, { ...closed, minProperties: 1 })
], { description: 'A value the header must equal, true/false for present/absent, or { regex: "…" }.', [EXPECT]: 'a string, true/false, or a mapping with equals, regex or present' })

export const MatchSchema = Type.Object({
  sni: Type.Optional(OneOrMany('TLS server names: "a.example.com", "*.example.com" (any subdomain), "*" (anything, also no name).')),
  host: Type.Optional(OneOrMany('HTTP Host patterns, as for sni.')),
  alpn: Type.Optional(OneOrMany('ALPN protocol ids the client offered, e.g. h2, http/1.1, acme-tls/1.')),
  path_prefix: Type.Optional(OneOrMany('Path prefixes on a segment boundary: "/api" matches /api and /api/x, not /apix.')),
  path_regex: Type.Optional(Type.String({ minLength: 1, description: 'A JavaScript regular expression tested against the path.' })),
  method: Type.Optional(OneOrMany('HTTP methods, upper-case: GET, POST, ...')),
  header: Type.Optional(Type.Record(Type.String({ minLength: 1 }), HeaderCondition, { description: 'Header name → condition; all must hold.' })),
  source: Type.Optional(OneOrMany('Client address ranges: "10.0.0.0/8", "::1/128", "127.0.0.1".')),
  listener: Type.Optional(OneOrMany('Ids of the stacks the connection arrived on.')),
  peer: Type.Optional(OneOrMany('For streams that arrived over rtcp: the device, by peer name or did:dev.')),
  protocol: Type.Optional(Type.Union([enumOf(PROTOCOLS, 'What the probes saw.'), Type.Array(enumOf(PROTOCOLS, 'What the probes saw.'), { minItems: 1 })],
    { description: 'What the probes recognised: tls (a ClientHello), http (an HTTP/1 request) or other.', [EXPECT]: 'tls, http, other or a list of them' })),
  target: Type.Optional(OneOrMany('SOCKS requests: the requested host, as host patterns ("nas.example.test", "*.example.test") or IP addresses.')),
  target_port: Type.Optional(Type.Union([
    Type.Integer({ minimum: 1, maximum: 65535 }),
    Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { minItems: 1 })
  ], { description: 'SOCKS requests: the requested port.', [EXPECT]: 'a port or a list of ports' })),
  user: Type.Optional(OneOrMany('SOCKS requests: the username the client logged in with.'))
}, { ...closed, description: 'Conditions, all of which must hold (AND). Leave out to match everything.' })

const Upstream = union([
  Type.String({ minLength: 1 }),
  Type.Object({
    url: Type.String({ minLength: 1, description: 'Tunnel URL: tcp://host:port, tls://host:port, rtcp://<peer>/:port, mem://name.' }),
    weight: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1, description: 'Relative share of connections (round_robin, random, hash).' }))
  }, closed)
], { [EXPECT]: 'a tunnel URL or { url, weight }' })

const groupProps = {
  upstreams: Type.Array(Upstream, { minItems: 1, description: 'Where connections go; tried in balancing order.' }),
  balance: Type.Optional(enumOf(BALANCES, 'How to pick: round_robin (weighted), random (weighted), hash (of the client address), least_time (fewest active, then fastest).', { default: 'round_robin' })),
  connect_timeout: Type.Optional(Duration('Deadline to open one upstream; on expiry the next one is tried.', CHAIN_DEFAULTS.connectTimeout)),
  tries: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, default: CHAIN_DEFAULTS.tries, description: 'Upstreams tried per connection before giving up (failover happens before any byte flows).' })),
  health: Type.Optional(Type.Object({
    failures: Type.Optional(Type.Integer({ minimum: 1, default: CHAIN_DEFAULTS.healthFailures, description: 'Consecutive failures that mark an upstream down.' })),
    cooldown: Type.Optional(Duration('How long a down upstream is skipped.', CHAIN_DEFAULTS.healthCooldown))
  }, { ...closed, default: {}, description: 'Passive health marking.' })),
  proxy_protocol: Type.Optional(enumOf(['v1', 'v2'], 'Send a PROXY protocol header first, so the upstream sees the real client address.'))
}

const Forward = union([
  Type.String({ minLength: 1 }),
  Type.Array(Upstream, { minItems: 1 }),
  Type.Object(groupProps, closed)
], { description: 'Forward the connection (bytes as they are) to one or more upstreams.', [EXPECT]: 'a tunnel URL, a list of them, or { upstreams, balance, ... }' })

const HttpProxy = union([
  Type.String({ minLength: 1 }),
  Type.Object({
    ...groupProps,
    rewrite: Type.Optional(Type.Object({
      strip_prefix: Type.Optional(Type.String({ minLength: 1, description: 'Remove this prefix from the path.' })),
      add_prefix: Type.Optional(Type.String({ minLength: 1, description: 'Put this in front of the path.' })),
      regex: Type.Optional(Type.String({ minLength: 1, description: 'Then replace the first match of this regex in the path...' })),
      replace: Type.Optional(Type.String({ description: '...with this ($1 for groups).' }))
    }, { ...closed, default: {}, description: 'Path rewriting, in the order strip_prefix, add_prefix, regex.' })),
    set_request_headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String(), { default: {}, description: 'Request headers to set (values may use {host}, {path}, {client_ip}, ...).' })),
    remove_request_headers: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Request headers to remove.' })),
    x_forwarded: Type.Optional(Type.Boolean({ default: true, description: 'Add X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host.' })),
    preserve_host: Type.Optional(Type.Boolean({ default: true, description: 'Send the client\'s Host upstream; false sends the upstream\'s own host:port.' })),
    idle_timeout: Type.Optional(Duration('Close pooled upstream connections idle this long.', CHAIN_DEFAULTS.idleTimeout)),
    response_timeout: Type.Optional(Duration('Deadline for the upstream\'s response head (504 after it).', CHAIN_DEFAULTS.responseTimeout))
  }, closed)
], { description: 'Reverse-proxy HTTP requests: keep-alive upstream connections, path and header rewriting, websockets.', [EXPECT]: 'a tunnel URL or { upstreams, ... }' })

const Cert = Type.Object({
  cert: Type.String({ minLength: 1, description: 'PEM certificate chain file, relative to this config file.' }),
  key: Type.String({ minLength: 1, description: 'PEM private key file.' }),
  sni: Type.Optional(OneOrMany('Names this certificate serves; default: the names in the certificate.'))
}, closed)

const TlsTerminate = Type.Object({
  certs: Type.Optional(Type.Array(Cert, { minItems: 1, description: 'Certificates from files, chosen by the client\'s server name (exact, then wildcard, then the first). Give certs or acme.' })),
  acme: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', [EXPECT]: 'the id of a certificate in acme.certificates', description: 'Use the certificate with this id from the acme section, obtained and renewed at run time. Give certs or acme.' })),
  alpn: Type.Optional(OneOrMany('ALPN protocols offered to clients (default http/1.1).')),
  handshake_timeout: Type.Optional(Duration('Deadline for the TLS handshake.', CHAIN_DEFAULTS.handshakeTimeout))
}, { ...closed, description: 'Decrypt TLS here, then send the plaintext into the chain named by `then`.' })

const Serve = union([
  Type.String({ minLength: 1 }),
  Type.Object({
    dir: Type.String({ minLength: 1, description: 'Directory, relative to this config file.' }),
    index: Type.Optional(OneOrMany('Files tried for a directory (default index.html).'))
  }, closed)
], { description: 'Serve files from a directory (GET and HEAD; ETag, ranges).', [EXPECT]: 'a directory or { dir, index }' })

const Redirect = union([
  Type.String({ minLength: 1 }),
  Type.Object({
    to: Type.String({ minLength: 1, description: 'Target; may use {scheme} {host} {path} {query} {uri} {path.1} {header.name} ...' }),
    status: Type.Optional(Type.Unsafe<number>({ type: 'integer', enum: [...REDIRECT_STATUSES], default: 308, description: 'HTTP status (default 308: permanent, method kept).' }))
  }, closed)
], { description: 'Answer with a redirect.', [EXPECT]: 'a target such as "https://{host}{uri}" or { to, status }' })

const Status = Type.Integer({ minimum: 200, maximum: 599, [EXPECT]: 'an HTTP status from 200 to 599' })

const Respond = union([
  Status,
  Type.Object({
    status: Type.Optional(Type.Integer({ minimum: 200, maximum: 599, default: 200, [EXPECT]: 'an HTTP status from 200 to 599' })),
    headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String(), { default: {} })),
    body: Type.Optional(Type.String({ default: '' }))
  }, closed)
], { description: 'Answer directly with a status, headers and body.', [EXPECT]: 'a status or { status, headers, body }' })

const Reject = union([
  Type.Literal(true),
  Type.Object({ status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599, default: 403, [EXPECT]: 'an HTTP status from 400 to 599' })) }, closed)
], { description: 'Refuse: HTTP gets a 403 (or the status given); other connections are closed.', [EXPECT]: 'true or { status }' })

const ZoneTarget = Type.String({ pattern: '^([A-Za-z0-9][A-Za-z0-9_.-]*|:[0-9]{1,5})$', [EXPECT]: 'a target name such as https or http (or :port)', description: 'What to reach in the zone: the name its gateway listens on (rtcp://local/<name>), e.g. https (the default) or http.' })

const Zone = union([
  ZoneTarget,
  Type.Object({
    target: Type.Optional(ZoneTarget),
    proxy_protocol: Type.Optional(enumOf(['v1', 'v2'], 'Send a PROXY protocol header first, so the zone sees the real client address.')),
    connect_timeout: Type.Optional(Duration('Deadline to open one of the zone\'s upstreams; on expiry the next one is tried.', CHAIN_DEFAULTS.connectTimeout))
  }, closed)
], { description: 'SN public ingress: send the connection, as bytes, to the zone its server name (SNI, else the HTTP Host) belongs to, through the zone\'s tunnel. TLS is passed through, never decrypted.', [EXPECT]: 'a target such as https, or { target, proxy_protocol, connect_timeout }' })

const serviceProps = {
  connect_timeout: Type.Optional(Duration('Deadline to open service://<svc>; then a 502.', CHAIN_DEFAULTS.connectTimeout)),
  response_timeout: Type.Optional(Duration('Deadline for the service\'s response head (504 after it).', CHAIN_DEFAULTS.responseTimeout)),
  idle_timeout: Type.Optional(Duration('Close pooled connections to a service idle this long.', CHAIN_DEFAULTS.idleTimeout))
}

const Kapi = union([
  Type.Literal(true),
  Type.Object({
    prefix: Type.Optional(Type.String({ pattern: '^/.*[^/]$', [EXPECT]: 'a path such as /kapi (no trailing "/")', description: 'The path before the service name (default /kapi): <prefix>/<svc>/...' })),
    strip: Type.Optional(Type.Boolean({ description: 'Send the path without <prefix>/<svc> (default false: unchanged).' })),
    ...serviceProps
  }, closed)
], { description: 'The zone\'s service API: a request for <prefix>/<svc>/... goes to service://<svc>, chosen per request.', [EXPECT]: 'true or { prefix, strip, connect_timeout, ... }' })

const App = Type.Object({
  login: Type.String({ minLength: 1, description: 'The zone\'s login page, a template such as "https://{zone}/login" ({zone}: the host minus its first label); ?redirect=<original URL> is added.' }),
  ...serviceProps
}, { ...closed, description: 'The zone\'s apps: the Host <app>.<zone> names the app, proxied to its service; private apps need the zonegate_session cookie, else a 302 to login.' })

export const ProcessSchema = Type.Object({
  forward: Type.Optional(Forward),
  tls_terminate: Type.Optional(TlsTerminate),
  then: Type.Optional(Type.String({ minLength: 1, description: 'With tls_terminate: the chain the decrypted connection continues in.' })),
  http_proxy: Type.Optional(HttpProxy),
  serve: Type.Optional(Serve),
  redirect: Type.Optional(Redirect),
  respond: Type.Optional(Respond),
  reject: Type.Optional(Reject),
  drop: Type.Optional(Type.Literal(true, { description: 'Close at once without an answer.' })),
  direct: Type.Optional(Type.Literal(true, { description: 'SOCKS requests: connect to the requested target directly.' })),
  zone: Type.Optional(Zone),
  kapi: Type.Optional(Kapi),
  app: Type.Optional(App)
}, { ...closed, description: 'Exactly one action: forward, tls_terminate (+ then), http_proxy, serve, redirect, respond, reject, drop, (SOCKS) direct, (SN) zone, or (zone services) kapi and app.' })

const HeaderMap = Type.Record(Type.String({ minLength: 1 }), Type.String(), { minProperties: 1 })

export const FilterSchema = Type.Object({
  set_header: Type.Optional(HeaderMap),
  add_header: Type.Optional(HeaderMap),
  remove_header: Type.Optional(OneOrMany('Header names to remove.')),
  rewrite_status: Type.Optional(Type.Union([
    Status,
    Type.Object({ from: Type.Optional(Status), to: Status }, closed)
  ], { [EXPECT]: 'a status or { from, to }' }))
}, { ...closed, minProperties: 1, maxProperties: 1, description: 'One response edit: set_header, add_header, remove_header or rewrite_status.', [EXPECT]: 'one edit per list item (set_header, add_header, remove_header or rewrite_status)' })

const Filters = (description: string): TSchema => Type.Optional(Type.Array(FilterSchema, { default: [], description }))

export const RouteSchema = Type.Object({
  id: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', [EXPECT]: 'an id of letters, digits, "_", "." or "-"', description: 'Name of the route in logs and dry runs; default: its position.' })),
  match: Type.Optional(MatchSchema),
  process: ProcessSchema,
  post_resp_filter: Filters('Edits of HTTP responses of this route, applied in reverse order, before the chain\'s.')
}, closed)

export const ChainSchema = Type.Object({
  probe: Type.Optional(Type.Array(enumOf(PROBE_NAMES, 'A probe.'), { default: CHAIN_DEFAULTS.probe, description: 'What to look for in the first bytes: proxy_protocol, tls (ClientHello: SNI, ALPN), http (request line and Host).' })),
  probe_timeout: Type.Optional(Duration('How long a client has to send what the probes need.', CHAIN_DEFAULTS.probeTimeout)),
  probe_max_bytes: Type.Optional(Size('Most bytes the probes may peek at.', CHAIN_DEFAULTS.probeMaxBytes)),
  trusted_proxies: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Who may send a PROXY protocol header: address ranges for TCP connections, devices (did:dev or rtcp peer names) for streams that arrive over rtcp.' })),
  routes: Type.Array(RouteSchema, { minItems: 1, description: 'Tried in order; the first whose match holds takes the connection or request.' }),
  post_resp_filter: Filters('Edits of every HTTP response of this chain, applied in reverse order of declaration.')
}, { ...closed, description: 'A processing chain: probe, match, process, post_resp_filter.' })

export const StackSchema = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', [EXPECT]: 'an id of letters, digits, "_", "." or "-"', description: 'Unique id of the stack, used in logs and in match.listener.' }),
  listen: Type.String({ minLength: 1, description: 'IP:port to accept TCP connections on (port 0: any free port), or rtcp://local/<name> for streams other devices open to this node by name.' }),
  chain: Type.Optional(Type.String({ minLength: 1, description: 'The chain every connection enters.' })),
  forward: Type.Optional(Type.String({ minLength: 1, description: 'Short for a chain with one route that forwards everything to this tunnel URL.' })),
  socks: Type.Optional(Type.Object({
    users_file: Type.Optional(Type.String({ minLength: 1, description: 'File of user:password lines; with it (or users_env) every client must log in.' })),
    users_env: Type.Optional(Type.String({ minLength: 1, description: 'Environment variable holding user:password lines.' })),
    allow_open_proxy: Type.Optional(Type.Boolean({ default: false, description: 'Allow listening on a non-loopback address without a login. Anyone who reaches the port can then use it.' })),
    handshake_timeout: Type.Optional(Duration('Greeting, login and request must arrive within this time.', '10s')),
    connect_timeout: Type.Optional(Duration('Opening the target (or the tunnel to it).', '10s')),
    max_sessions_per_client: Type.Optional(Type.Integer({ minimum: 1, default: 64, description: 'Concurrent sessions from one client address.' })),
    udp_idle_timeout: Type.Optional(Duration('A UDP association with no datagrams for this long ends.', '120s'))
  }, { ...closed, description: 'Make this a SOCKS5 stack: each request enters the chain with its target, and the route answers direct, a tunnel URL (forward) or reject.' }))
}, { ...closed, description: 'A listener whose connections enter a chain (or are forwarded to one URL).' })

export const ControlSchema = Type.Object({
  listen: Type.String({ minLength: 1, description: 'Loopback IP:port of the control API (zonegate reload, status).' }),
  token_file: Type.Optional(Type.String({ minLength: 1, description: 'File holding the API token; made (mode 0600) when missing. Default: <config file>.token' }))
}, { ...closed, description: 'The control API, on loopback only.' })

export const AccessLogSchema = union([
  Type.Boolean(),
  Type.Object({
    file: Type.Optional(Type.String({ minLength: 1, description: 'Write access lines to this file instead of the main log.' }))
  }, closed)
], { default: true, description: 'One JSON line per connection and per HTTP request: stack, route, upstream, status, bytes each way, duration. false turns it off.', [EXPECT]: 'true, false or { file }' })
