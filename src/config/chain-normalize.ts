// Schema-valid `stacks:` and `chains:` data → StackConfig[] and ChainSpec[]: short forms expanded,
// defaults applied (values inside a union get no schema default, so they are applied here),
// durations in ms, sizes in bytes, paths absolute, peer names resolved to dids. Stacks written
// with `forward: URL` get a one-route chain of their own, so the runtime knows only chains.
import { resolve } from 'node:path'
import type { StackConfig } from './types.ts'
import type {
  ChainSpec, CertSpec, HeaderCondition, HttpProxySpec, MatchSpec, ProcessSpec, ProbeName, ResponseFilterSpec,
  RouteSpec, ServiceProxySpec, SourcePos, UpstreamGroupSpec, UpstreamSpec, Balance
} from '../chain/types.ts'
import { CHAIN_DEFAULTS } from './chain-schema.ts'
import { parseDuration, parseSize } from './units.ts'

type Obj = Record<string, unknown>
type Pos = (segments: readonly string[]) => SourcePos | undefined

const ms = (v: unknown, def: string): number => parseDuration(v ?? def) as number
const many = (v: unknown): string[] => v == null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]
const lower = (v: unknown): string[] => many(v).map(s => s.toLowerCase())

/** The chain name given to the chain made for a `forward:` stack. */
export const stackChainName = (stackId: string): string => `stack:${stackId}`

export interface NormalizeContext {
  /** Directory of the config file, for relative paths. */
  dir: string
  /** Peer name → did, for match.peer. */
  peers: ReadonlyMap<string, string>
  pos: Pos
}

export function normalizeStacks (stacks: Obj[], ctx: NormalizeContext): { stacks: StackConfig[], chains: ChainSpec[] } {
  const chains: ChainSpec[] = []
  const out = stacks.map((s, i): StackConfig => {
    const id = String(s.id)
    if (typeof s.forward === 'string') {
      const name = stackChainName(id)
      chains.push({
        name,
        probe: [],
        probeMaxBytes: parseSize(CHAIN_DEFAULTS.probeMaxBytes) as number,
        probeTimeoutMs: ms(undefined, CHAIN_DEFAULTS.probeTimeout),
        trustedProxies: [],
        routes: [{ id: 'forward', match: {}, process: { kind: 'forward', group: normalizeGroup(s.forward) }, postRespFilter: [], pos: ctx.pos(['stacks', String(i), 'forward']) }],
        postRespFilter: []
      })
      return { id, listen: String(s.listen), chain: name }
    }
    const socks = s.socks as Obj | undefined
    return {
      id,
      listen: String(s.listen),
      chain: String(s.chain),
      ...(socks != null
        ? {
            socks: {
              ...(socks.users_file != null ? { usersFile: resolve(ctx.dir, String(socks.users_file)) } : {}),
              ...(socks.users_env != null ? { usersEnv: String(socks.users_env) } : {}),
              allowOpenProxy: socks.allow_open_proxy === true,
              handshakeTimeoutMs: ms(socks.handshake_timeout, '10s'),
              connectTimeoutMs: ms(socks.connect_timeout, '10s'),
              maxSessionsPerClient: Number(socks.max_sessions_per_client ?? 64),
              udpIdleTimeoutMs: ms(socks.udp_idle_timeout, '120s')
            }
          }
        : {})
    }
  })
  return { stacks: out, chains }
}

export function normalizeChains (chains: Record<string, Obj>, ctx: NormalizeContext): ChainSpec[] {
  return Object.entries(chains).map(([name, c]) => ({
    name,
    probe: (c.probe as ProbeName[] | undefined) ?? [...CHAIN_DEFAULTS.probe] as ProbeName[],
    probeMaxBytes: parseSize(c.probe_max_bytes ?? CHAIN_DEFAULTS.probeMaxBytes) as number,
    probeTimeoutMs: ms(c.probe_timeout, CHAIN_DEFAULTS.probeTimeout),
    trustedProxies: many(c.trusted_proxies).map(t => ctx.peers.get(t) ?? t),
    routes: (c.routes as Obj[]).map((r, i) => normalizeRoute(r, i, ['chains', name, 'routes', String(i)], ctx)),
    postRespFilter: normalizeFilters(c.post_resp_filter)
  }))
}

function normalizeRoute (r: Obj, index: number, at: string[], ctx: NormalizeContext): RouteSpec {
  return {
    id: typeof r.id === 'string' ? r.id : String(index),
    match: normalizeMatch((r.match ?? {}) as Obj, ctx),
    process: normalizeProcess(r.process as Obj, ctx),
    postRespFilter: normalizeFilters(r.post_resp_filter),
    pos: ctx.pos(at)
  }
}

export function normalizeMatch (m: Obj, ctx: Pick<NormalizeContext, 'peers'>): MatchSpec {
  const out: Record<string, unknown> = {}
  if (m.sni != null) out.sni = lower(m.sni)
  if (m.host != null) out.host = lower(m.host)
  if (m.alpn != null) out.alpn = many(m.alpn)
  if (m.path_prefix != null) out.pathPrefix = many(m.path_prefix)
  if (m.path_regex != null) out.pathRegex = String(m.path_regex)
  if (m.method != null) out.method = many(m.method).map(s => s.toUpperCase())
  if (m.header != null) {
    const header: Record<string, HeaderCondition> = {}
    for (const [name, cond] of Object.entries(m.header as Obj)) {
      header[name.toLowerCase()] = typeof cond === 'string'
        ? { equals: cond }
        : typeof cond === 'boolean' ? { present: cond } : { ...(cond as HeaderCondition) }
    }
    out.header = header
  }
  if (m.source != null) out.source = many(m.source)
  if (m.listener != null) out.listener = many(m.listener)
  if (m.peer != null) out.peer = many(m.peer).map(p => ctx.peers.get(p) ?? p)
  if (m.protocol != null) out.protocol = many(m.protocol)
  if (m.target != null) out.target = lower(m.target)
  if (m.target_port != null) out.targetPort = (Array.isArray(m.target_port) ? m.target_port : [m.target_port]).map(Number)
  if (m.user != null) out.user = many(m.user)
  return out as MatchSpec
}

function normalizeUpstreams (list: unknown[]): UpstreamSpec[] {
  return list.map(u => typeof u === 'string'
    ? { url: u, weight: 1 }
    : { url: String((u as Obj).url), weight: Number((u as Obj).weight ?? 1) })
}

function normalizeGroup (v: unknown): UpstreamGroupSpec {
  const g: Obj = typeof v === 'string' ? { upstreams: [v] } : Array.isArray(v) ? { upstreams: v } : v as Obj
  const health = (g.health ?? {}) as Obj
  return {
    upstreams: normalizeUpstreams(g.upstreams as unknown[]),
    balance: (g.balance as Balance | undefined) ?? 'round_robin',
    connectTimeoutMs: ms(g.connect_timeout, CHAIN_DEFAULTS.connectTimeout),
    tries: Number(g.tries ?? CHAIN_DEFAULTS.tries),
    health: {
      failures: Number(health.failures ?? CHAIN_DEFAULTS.healthFailures),
      cooldownMs: ms(health.cooldown, CHAIN_DEFAULTS.healthCooldown)
    },
    ...(g.proxy_protocol != null ? { proxyProtocol: g.proxy_protocol as 'v1' | 'v2' } : {})
  }
}

function normalizeHttpProxy (v: unknown): HttpProxySpec {
  const p: Obj = typeof v === 'string' ? { upstreams: [v] } : v as Obj
  const rw = (p.rewrite ?? {}) as Obj
  const set: Record<string, string> = {}
  for (const [k, val] of Object.entries((p.set_request_headers ?? {}) as Obj)) set[k.toLowerCase()] = String(val)
  return {
    ...normalizeGroup(p),
    rewrite: {
      ...(rw.strip_prefix != null ? { stripPrefix: String(rw.strip_prefix) } : {}),
      ...(rw.add_prefix != null ? { addPrefix: String(rw.add_prefix) } : {}),
      ...(rw.regex != null ? { regex: String(rw.regex), replace: String(rw.replace ?? '') } : {})
    },
    setRequestHeaders: set,
    removeRequestHeaders: lower(p.remove_request_headers),
    xForwarded: p.x_forwarded !== false,
    preserveHost: p.preserve_host !== false,
    idleTimeoutMs: ms(p.idle_timeout, CHAIN_DEFAULTS.idleTimeout),
    responseTimeoutMs: ms(p.response_timeout, CHAIN_DEFAULTS.responseTimeout)
  }
}

/** The one action key of a process mapping (checked to be exactly one by chain-check.ts). */
export function actionOf (p: Obj): string | undefined {
  return Object.keys(p).find(k => k !== 'then')
}

function normalizeProcess (p: Obj, ctx: NormalizeContext): ProcessSpec {
  const kind = actionOf(p)
  const v = kind == null ? undefined : p[kind]
  switch (kind) {
    case 'forward': return { kind, group: normalizeGroup(v) }
    case 'http_proxy': return { kind, proxy: normalizeHttpProxy(v) }
    case 'tls_terminate': {
      const t = v as Obj
      const certs: CertSpec[] = ((t.certs ?? []) as Obj[]).map(c => ({
        certFile: resolve(ctx.dir, String(c.cert)),
        keyFile: resolve(ctx.dir, String(c.key)),
        sni: lower(c.sni)
      }))
      return { kind, certs, ...(typeof t.acme === 'string' ? { acme: t.acme } : {}), then: String(p.then), alpn: t.alpn == null ? ['http/1.1'] : many(t.alpn), handshakeTimeoutMs: ms(t.handshake_timeout, CHAIN_DEFAULTS.handshakeTimeout) } as ProcessSpec
    }
    case 'serve': {
      const s: Obj = typeof v === 'string' ? { dir: v } : v as Obj
      return { kind, dir: resolve(ctx.dir, String(s.dir)), index: s.index == null ? ['index.html'] : many(s.index) }
    }
    case 'redirect': {
      const r: Obj = typeof v === 'string' ? { to: v } : v as Obj
      return { kind, to: String(r.to), status: (r.status ?? 308) as 308 }
    }
    case 'respond': {
      const r: Obj = typeof v === 'number' ? { status: v } : v as Obj
      return { kind, status: Number(r.status ?? 200), headers: { ...((r.headers ?? {}) as Record<string, string>) }, body: String(r.body ?? '') }
    }
    case 'reject': return { kind, status: v === true ? 403 : Number((v as Obj).status ?? 403) }
    case 'direct': return { kind }
    case 'zone': {
      const z: Obj = typeof v === 'string' ? { target: v } : v as Obj
      return {
        kind,
        zone: {
          target: String(z.target ?? CHAIN_DEFAULTS.zoneTarget),
          ...(z.proxy_protocol != null ? { proxyProtocol: z.proxy_protocol as 'v1' | 'v2' } : {}),
          connectTimeoutMs: ms(z.connect_timeout, CHAIN_DEFAULTS.connectTimeout)
        }
      }
    }
    case 'kapi': {
      const k: Obj = v === true ? {} : v as Obj
      return { kind, kapi: { prefix: String(k.prefix ?? CHAIN_DEFAULTS.kapiPrefix), strip: k.strip === true, ...serviceSettings(k) } }
    }
    case 'app': {
      const a = v as Obj
      return { kind, app: { login: String(a.login), ...serviceSettings(a) } }
    }
    default: return { kind: 'drop' }
  }
}

function serviceSettings (o: Obj): ServiceProxySpec {
  return {
    connectTimeoutMs: ms(o.connect_timeout, CHAIN_DEFAULTS.connectTimeout),
    responseTimeoutMs: ms(o.response_timeout, CHAIN_DEFAULTS.responseTimeout),
    idleTimeoutMs: ms(o.idle_timeout, CHAIN_DEFAULTS.idleTimeout)
  }
}

export function normalizeFilters (v: unknown): ResponseFilterSpec[] {
  return ((v ?? []) as Obj[]).map((f): ResponseFilterSpec => {
    if (f.set_header != null) return { kind: 'set_header', headers: { ...(f.set_header as Record<string, string>) } }
    if (f.add_header != null) return { kind: 'add_header', headers: { ...(f.add_header as Record<string, string>) } }
    if (f.remove_header != null) return { kind: 'remove_header', names: lower(f.remove_header) }
    const rs = f.rewrite_status
    return typeof rs === 'number' ? { kind: 'rewrite_status', to: rs } : { kind: 'rewrite_status', ...(rs as { from?: number, to: number }) }
  })
}
