// Schema-valid YAML data (defaults already filled in by Ajv) → the typed config the rest of the
// program reads: camelCase keys, milliseconds, bytes, absolute paths, frozen. The one place where
// YAML names meet TypeScript names.
import { dirname, resolve } from 'node:path'
import type { AccessLogConfig, AnyConfig, ControlConfig, LogConfig, RtcpConfig, RtcpPeerConfig, TargetPolicy } from './types.ts'
import type { Role } from './schema.ts'
import type { Locator } from './locate.ts'
import { parseDuration, parseSize } from './units.ts'
import { normalizeChains, normalizeStacks } from './chain-normalize.ts'
import { normalizeAcme, normalizeSnSection, normalizeSysconfig, normalizeZoneLink } from './sn-normalize.ts'

// The shape the schema guarantees after validation with defaults.
interface RawPeer { did: string, addrs: string[], via?: string, proxy?: string, keep: boolean }
interface RawRtcp {
  listen: string[]
  trust: { devices: string[], allow_any: boolean }
  targets: TargetPolicy
  peers: Record<string, RawPeer>
  limits: Record<string, number | string>
  keepalive: { interval: number | string, timeout: number | string }
  reconnect: { initial: number | string, max: number | string }
  relay: { enabled: boolean, listen?: string, pending_timeout: number | string, max_relayed_connections: number }
}
interface RawConfig {
  device: { key: string }
  log: { level: LogConfig['level'] }
  rtcp: RawRtcp
  stacks?: Array<Record<string, unknown>>
  chains?: Record<string, Record<string, unknown>>
  control?: { listen: string, token_file?: string }
  access_log?: boolean | { file?: string }
  acme?: Parameters<typeof normalizeAcme>[0]
  sn?: unknown
  sysconfig?: unknown
}

// Both have been checked by the schema and the cross-checks before we get here.
const ms = (v: number | string): number => parseDuration(v) as number
const bytes = (v: number | string): number => parseSize(v) as number

export function normalizeConfig (data: unknown, role: Role, file: string, locator?: Locator): AnyConfig {
  const raw = data as RawConfig
  const absFile = resolve(file)
  const dir = dirname(absFile)
  const common = {
    file: absFile,
    device: { keyFile: resolve(dirname(absFile), raw.device.key) },
    rtcp: normalizeRtcp(raw.rtcp),
    log: { level: raw.log.level }
  }
  const parts = { ...common, ...normalizeGatewayParts(raw, absFile, common.rtcp, locator), ...(raw.acme != null ? { acme: normalizeAcme(raw.acme, dir) } : {}) }
  const config: AnyConfig = role === 'gateway'
    ? {
        role,
        ...parts,
        ...(raw.sn != null ? { sn: normalizeZoneLink(raw.sn as Parameters<typeof normalizeZoneLink>[0], dir) } : {}),
        ...(raw.sysconfig != null ? { sysconfig: normalizeSysconfig(raw.sysconfig as Parameters<typeof normalizeSysconfig>[0], dir) } : {})
      }
    : { role, ...parts, ...(raw.sn != null ? { sn: normalizeSnSection(raw.sn as Parameters<typeof normalizeSnSection>[0], dir) } : {}) }
  return deepFreeze(config)
}

function normalizeGatewayParts (raw: RawConfig, file: string, rtcp: RtcpConfig, locator?: Locator): { stacks: ReturnType<typeof normalizeStacks>['stacks'], chains: ReturnType<typeof normalizeChains>, control?: ControlConfig, accessLog: AccessLogConfig } {
  const dir = dirname(file)
  const ctx = {
    dir,
    peers: new Map(rtcp.peers.map(p => [p.name, p.did])),
    pos: (segments: readonly string[]) => {
      if (locator == null) return undefined
      const p = locator.value(segments)
      return { file, line: p.line, col: p.col }
    }
  }
  const stacks = normalizeStacks(raw.stacks ?? [], ctx)
  const chains = [...normalizeChains(raw.chains ?? {}, ctx), ...stacks.chains]
  const control = raw.control == null
    ? undefined
    : { listen: raw.control.listen, tokenFile: resolve(dir, raw.control.token_file ?? `${file}.token`) }
  const al = raw.access_log ?? true
  const accessLog: AccessLogConfig = typeof al === 'boolean'
    ? { enabled: al }
    : { enabled: true, ...(al.file != null ? { file: resolve(dir, al.file) } : {}) }
  return { stacks: stacks.stacks, chains, ...(control != null ? { control } : {}), accessLog }
}

function normalizeRtcp (r: RawRtcp): RtcpConfig {
  const peers: RtcpPeerConfig[] = Object.entries(r.peers).map(([name, p]) => ({
    name,
    did: p.did,
    addrs: [...p.addrs],
    ...(p.via != null ? { via: p.via } : {}),
    ...(p.proxy != null ? { proxy: p.proxy } : {}),
    keep: p.keep
  }))
  const l = r.limits
  return {
    listen: [...r.listen],
    trust: { devices: [...r.trust.devices], allowAny: r.trust.allow_any },
    peers,
    targets: r.targets,
    limits: {
      maxStreamsPerTunnel: l.max_streams_per_tunnel as number,
      maxPendingHandshakes: l.max_pending_handshakes as number,
      handshakeTimeoutMs: ms(l.handshake_timeout),
      handshakeRatePerIp: l.handshake_rate_per_ip as number,
      streamOpenRate: l.stream_open_rate as number,
      streamBufferBytes: bytes(l.stream_buffer),
      streamOpenTimeoutMs: ms(l.stream_open_timeout)
    },
    keepalive: { intervalMs: ms(r.keepalive.interval), timeoutMs: ms(r.keepalive.timeout) },
    reconnect: { initialMs: ms(r.reconnect.initial), maxMs: ms(r.reconnect.max) },
    relay: {
      enabled: r.relay.enabled,
      listen: r.relay.listen ?? defaultRelayListen(r.listen as string[] | undefined),
      pendingTimeoutMs: ms(r.relay.pending_timeout),
      maxRelayedConnections: r.relay.max_relayed_connections
    }
  }
}

/** The relay port's default: the host of the first rtcp listen address, any free port. */
function defaultRelayListen (listen: string[] | undefined): string {
  const first = listen?.[0]
  if (first == null) return '127.0.0.1:0'
  const host = first.slice(0, first.lastIndexOf(':'))
  return `${host}:0`
}

function deepFreeze<T> (value: T): T {
  if (value != null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
