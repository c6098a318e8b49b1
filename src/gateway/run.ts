// A running gateway: device key, tunnel kinds, rtcp (listeners, keep-tunnels), chains and the
// stacks that feed them, the access log and the control API. `reload()` applies a changed config
// file atomically: everything new is built first, and only when all of it works are the stacks
// switched over; a config that fails changes nothing.
import type { Logger } from '../core/logger.ts'
import type { GatewayConfig, SnConfig } from '../config/types.ts'
import type { ConfigProblem } from '../config/errors.ts'
import { loadConfig } from '../config/load.ts'
import { TunnelRegistry } from '../tunnel/registry.ts'
import { tcpTunnel } from '../tunnel/tcp/index.ts'
import { tlsTunnel } from '../tunnel/tls/index.ts'
import { socksTunnel } from '../socks/tunnel.ts'
import { loadDeviceKey } from '../identity/key-file.ts'
import type { RtcpService } from '../rtcp/service.ts'
import { compileChainSet, type ChainDeps, type ChainSet } from '../chain/runtime/chain-set.ts'
import { createAccessLog, type AccessLog } from '../chain/runtime/access-log.ts'
import { createUpstreamPool } from '../chain/http/proxy/pool.ts'
import { startStack, type Stack } from './stack.ts'
import { startControl, type ControlServer } from './control.ts'
import { mergeExtensions, type ProcessExtensions } from './extensions.ts'

export type { ProcessExtensions }

export interface ReloadResult {
  ok: boolean
  /** Why nothing changed (ok false). */
  problems?: ConfigProblem[]
  error?: string
  /** What changed (ok true). */
  started?: string[]
  stopped?: string[]
  updated?: string[]
  /** Parts of the file that changed but need a restart to apply. */
  needsRestart?: string[]
}

export interface RunningGateway {
  did: string
  registry: TunnelRegistry
  /** Absent when the config has no rtcp listeners and no peers: nothing to tunnel to or from. */
  rtcp?: RtcpService
  readonly stacks: readonly Stack[]
  readonly chains: ChainSet
  reload(): Promise<ReloadResult>
  status(): Record<string, unknown>
  stop(): Promise<void>
}

export async function runGateway (config: GatewayConfig | SnConfig, { logger, extensions: given }: { logger: Logger, extensions?: ProcessExtensions }): Promise<RunningGateway> {
  const key = await loadDeviceKey(config.device.keyFile)
  // A zone gateway's link to its SN and certificates, and its zone's services, unless a role
  // brought its own extensions.
  const link = given == null && config.role === 'gateway' && (config.sn != null || config.acme != null)
    ? await (await import('./zone-link.ts')).createZoneLink(config, key, logger)
    : undefined
  const services = given == null && config.role === 'gateway' && config.sysconfig != null
    ? await (await import('./zone-services.ts')).startZoneServices(config, key, logger)
    : undefined
  const extensions = given ?? mergeExtensions([link?.extensions, services?.extensions])
  const registry = new TunnelRegistry()
  registry.register(tcpTunnel({ logger }))
  registry.register(tlsTunnel({ logger }))
  registry.register(socksTunnel({ logger }))
  extensions.tunnels?.(registry)
  // libp2p is loaded only when there is something to tunnel: loading it costs a gateway that
  // only routes local traffic memory and, measurably, forwarding throughput (docs/benchmarks.md).
  const wantsRtcp = config.rtcp.listen.length > 0 || config.rtcp.peers.length > 0
  const rtcp = wantsRtcp
    ? await (await import('../rtcp/service.ts')).startRtcp({ privateKey: key.privateKey, config: config.rtcp, logger, registry })
    : undefined
  if (rtcp != null) extensions.rtcp?.(rtcp)
  const stopping = new AbortController()
  const pool = createUpstreamPool()
  const chainDeps: ChainDeps = { ...extensions.chainDeps, open: async (url: string, o: { signal: AbortSignal }) => await registry.open(url, o), logger }
  let current = config
  let chains: ChainSet
  let access: AccessLog = createAccessLog(config.accessLog, logger)
  let stacks: Stack[] = []
  let control: ControlServer | undefined
  const warn = (set: ChainSet): void => { for (const w of set.warnings) logger.warn({ chain: w.chain, route: w.route, by: w.by, ...(w.pos != null ? { line: w.pos.line } : {}) }, w.message) }
  try {
    chains = await compileChainSet(config.chains, chainDeps)
    warn(chains)
    for (const s of config.stacks) stacks.push(await startStack(s, chains, { registry, logger, access, signal: stopping.signal, pool }))
  } catch (err) {
    for (const s of stacks) await s.close({ destroy: true })
    await rtcp?.stop()
    throw err
  }

  let reloading: Promise<ReloadResult> | undefined
  async function reload (): Promise<ReloadResult> {
    // One at a time: a second SIGHUP while reloading waits for the first.
    while (reloading != null) await reloading.catch(() => {})
    reloading = doReload()
    try { return await reloading } finally { reloading = undefined }
  }

  async function doReload (): Promise<ReloadResult> {
    let next: GatewayConfig | SnConfig
    try {
      next = await loadConfig(current.file, current.role) as GatewayConfig | SnConfig
    } catch (err) {
      const problems = (err as { problems?: ConfigProblem[] }).problems
      logger.error({ err: { code: (err as { code?: string }).code, message: (err as Error).message }, problems }, 'reload refused: the config is invalid; nothing changed')
      return { ok: false, ...(problems != null ? { problems } : {}), error: (err as Error).message }
    }
    const needsRestart: string[] = []
    if (JSON.stringify(next.rtcp) !== JSON.stringify(current.rtcp)) needsRestart.push('rtcp')
    if (next.device.keyFile !== current.device.keyFile) needsRestart.push('device')
    if (JSON.stringify(next.control) !== JSON.stringify(current.control)) needsRestart.push('control')
    if (JSON.stringify(next.sn) !== JSON.stringify(current.sn)) needsRestart.push('sn')
    if (JSON.stringify(next.acme) !== JSON.stringify(current.acme)) needsRestart.push('acme')
    let nextChains: ChainSet
    try {
      nextChains = await compileChainSet(next.chains, chainDeps)
    } catch (err) {
      logger.error({ err }, 'reload refused: the chains could not be built; nothing changed')
      return { ok: false, error: (err as Error).message }
    }
    const nextAccess = JSON.stringify(next.accessLog) === JSON.stringify(current.accessLog) ? access : createAccessLog(next.accessLog, logger)
    // Listeners are kept by address: the same listen string keeps its socket (and its
    // connections); new addresses are bound before anything is switched. Port 0 means "any
    // port", so such a stack is the same listener only under the same id.
    const keyOf = (id: string, listen: string): string => /:0$/.test(listen) ? `${id}@${listen}` : listen
    const byListen = new Map(stacks.map(s => [keyOf(s.id, s.listen), s]))
    const started: Stack[] = []
    const kept: Array<{ stack: Stack, id: string, chain: string }> = []
    try {
      for (const s of next.stacks) {
        const old = byListen.get(keyOf(s.id, s.listen))
        if (old != null) kept.push({ stack: old, id: s.id, chain: s.chain })
        else started.push(await startStack(s, nextChains, { registry, logger, access: nextAccess, signal: stopping.signal, pool }))
      }
    } catch (err) {
      for (const s of started) await s.close({ destroy: true })
      logger.error({ err }, 'reload refused: a new listener could not start; nothing changed')
      return { ok: false, error: (err as Error).message }
    }
    const keptSet = new Set(kept.map(k => k.stack))
    const removed = stacks.filter(s => !keptSet.has(s))
    for (const k of kept) k.stack.use(k.id, k.chain, nextChains)
    for (const s of removed) await s.close()
    const oldAccess = access
    stacks = [...kept.map(k => k.stack), ...started]
    chains = nextChains
    access = nextAccess
    current = next
    if (oldAccess !== nextAccess) void oldAccess.close()
    warn(nextChains)
    const result: ReloadResult = {
      ok: true,
      started: started.map(s => s.id),
      stopped: removed.map(s => s.id),
      updated: kept.map(k => k.id),
      ...(needsRestart.length > 0 ? { needsRestart } : {})
    }
    logger.info({ ...result }, 'reloaded')
    if (needsRestart.length > 0) logger.warn({ parts: needsRestart }, 'these parts of the config changed but apply only after a restart')
    return result
  }

  function status (): Record<string, unknown> {
    return {
      did: key.did,
      role: current.role,
      file: current.file,
      stacks: stacks.map(s => ({ id: s.id, url: s.url, active: s.active })),
      chains: chains.names.map(name => {
        const c = chains.get(name)!
        return {
          name,
          routes: c.table.routes.map(r => {
            const up = c.runtime(r).upstream
            return { id: r.spec.id, action: r.spec.process.kind, ...(up?.snapshot != null ? { upstreams: up.snapshot() } : {}) }
          })
        }
      }),
      tunnels: rtcp?.node.tunnels() ?? [],
      ...extensions.status?.()
    }
  }

  const running: RunningGateway = {
    did: key.did,
    registry,
    rtcp,
    get stacks () { return stacks },
    get chains () { return chains },
    reload,
    status,
    async stop () {
      stopping.abort()
      await control?.close()
      for (const s of [...stacks].reverse()) await s.close({ destroy: true })
      pool.close()
      await access.close()
      await extensions.stop?.()
      await rtcp?.stop()
      await registry.close()
    }
  }
  if (config.control != null) {
    try {
      control = await startControl(config.control, { reload, status, ...(extensions.admin != null ? { admin: extensions.admin } : {}) }, logger)
    } catch (err) {
      await running.stop()
      throw err
    }
  }
  link?.start()
  logger.info({ did: key.did, role: config.role, stacks: stacks.length, chains: chains.names.length }, 'gateway started')
  return running
}
