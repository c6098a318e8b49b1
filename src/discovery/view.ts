// An in-memory copy of every instance report under services/, kept current from the watch
// (follow.ts: a snapshot, then long-polls; a compacted history takes the snapshot again).
// Reports carry their own expiry, so a single timer for the next expires_at tells listeners when
// a set changes without any write (no polling over everything). The deriver and the resolver
// both build on this.
import type { Logger } from '../core/logger.ts'
import type { WatchEvent } from '../sysconfig/store/types.ts'
import type { DiscoverySource } from './source.ts'
import { followPrefix } from './follow.ts'
import { SVC_ERR_STOPPED } from './errors.ts'
import {
  SERVICES_PREFIX, instanceKey, isLive, isNodeName, isServiceName, parseInstanceKey, parseInstanceReport,
  type InstanceReport
} from './records.ts'

export interface InstanceEntry { service: string, node: string, report: InstanceReport, revision: number }

export interface ServiceViewInit {
  source: DiscoverySource
  logger: Logger
  /** Services whose instances changed: a report came, went, or expired. Called synchronously. */
  onChange?: (services: ReadonlySet<string>) => void
  /** Long-poll length. Default 30 s. */
  watchTimeoutMs?: number
  /** ms since the epoch (Date.now by default): expires_at is wall-clock time. */
  now?: () => number
}

export interface ServiceView {
  /** Resolves after the first snapshot; rejects with SVC_ERR_STOPPED if stopped before. */
  readonly ready: Promise<void>
  /** Every valid report of a service, live or not. */
  instances (service: string): InstanceEntry[]
  services (): string[]
  /** The store revision the view reflects. */
  revision (): number
  stop (): Promise<void>
}

export function startServiceView (init: ServiceViewInit): ServiceView {
  const { source } = init
  const log = init.logger
  const now = init.now ?? Date.now
  const timeoutMs = init.watchTimeoutMs ?? 30_000
  const ac = new AbortController()
  let state = new Map<string, Map<string, InstanceEntry>>()
  let revision = 0
  let expiryTimer: NodeJS.Timeout | undefined
  let expiryCheckedAt = now()
  let markReady!: () => void
  let failReady!: (err: unknown) => void
  let isReady = false
  const ready = new Promise<void>((resolve, reject) => { markReady = resolve; failReady = reject })
  ready.catch(() => {}) // nobody need be waiting for it

  function notify (changed: Set<string>): void {
    scheduleExpiry()
    if (changed.size === 0 || init.onChange == null) return
    try {
      init.onChange(changed)
    } catch (err) {
      log.error({ err }, 'discovery change listener failed')
    }
  }

  /** One timer, for the earliest expires_at still ahead. */
  function scheduleExpiry (): void {
    clearTimeout(expiryTimer)
    expiryTimer = undefined
    if (ac.signal.aborted) return
    const t = now()
    let next = Infinity
    for (const nodes of state.values()) {
      for (const e of nodes.values()) if (isLive(e.report, t) && e.report.expires_at < next) next = e.report.expires_at
    }
    if (next === Infinity) return
    // setTimeout overflows past 2^31 ms; a far expiry is re-checked later.
    expiryTimer = setTimeout(onExpiry, Math.min(Math.max(next - t + 1, 1), 2 ** 30))
    expiryTimer.unref()
  }

  function onExpiry (): void {
    const t = now()
    const changed = new Set<string>()
    for (const [service, nodes] of state) {
      for (const e of nodes.values()) {
        if (e.report.state === 'running' && e.report.expires_at > expiryCheckedAt && e.report.expires_at <= t) changed.add(service)
      }
    }
    expiryCheckedAt = t
    if (changed.size > 0) log.debug({ services: [...changed] }, 'instances expired')
    notify(changed)
  }

  function decode (service: string, node: string, value: string, rev: number): InstanceEntry | undefined {
    try {
      return { service, node, report: parseInstanceReport(value, instanceKey(service, node)), revision: rev }
    } catch (err) {
      log.warn({ err, service, node }, 'ignoring an unusable instance report')
      return undefined
    }
  }

  function apply (events: WatchEvent[]): void {
    const changed = new Set<string>()
    for (const ev of events) {
      const k = parseInstanceKey(ev.key)
      if (k === undefined) continue
      const nodes = state.get(k.service)
      const old = nodes?.get(k.node)
      // After a snapshot the watch replays changes the snapshot may already hold: never go back.
      if (old !== undefined && ev.revision < old.revision) continue
      const entry = ev.type === 'put' && ev.value !== undefined ? decode(k.service, k.node, ev.value, ev.revision) : undefined
      if (entry !== undefined) {
        if (nodes === undefined) state.set(k.service, new Map([[k.node, entry]]))
        else nodes.set(k.node, entry)
      } else if (nodes !== undefined) {
        nodes.delete(k.node)
        if (nodes.size === 0) state.delete(k.service)
      }
      changed.add(k.service)
    }
    notify(changed)
  }

  async function snapshot (): Promise<number> {
    const rev = await source.revision()
    const next = new Map<string, Map<string, InstanceEntry>>()
    const services = (await source.list(SERVICES_PREFIX)).filter(isServiceName)
    await Promise.all(services.map(async service => {
      const nodes = (await source.list(`${SERVICES_PREFIX}${service}/instances/`)).filter(isNodeName)
      await Promise.all(nodes.map(async node => {
        const got = await source.get(instanceKey(service, node))
        const entry = got === undefined ? undefined : decode(service, node, got.value, got.revision)
        if (entry === undefined) return
        let m = next.get(service)
        if (m === undefined) next.set(service, m = new Map())
        m.set(node, entry)
      }))
    }))
    const changed = new Set([...state.keys(), ...next.keys()])
    state = next
    notify(changed)
    return rev
  }

  const running = followPrefix({
    source,
    prefix: SERVICES_PREFIX,
    what: 'services/',
    snapshot: async () => {
      const rev = await snapshot()
      revision = rev
      return rev
    },
    apply: (events, rev) => {
      apply(events)
      revision = rev
    },
    onSynced: () => { if (!isReady) { isReady = true; markReady() } },
    signal: ac.signal,
    log,
    timeoutMs
  }).catch(err => log.error({ err }, 'discovery view stopped'))

  return {
    ready,
    instances: service => [...(state.get(service)?.values() ?? [])],
    services: () => [...state.keys()],
    revision: () => revision,
    async stop () {
      if (ac.signal.aborted) return
      ac.abort()
      clearTimeout(expiryTimer)
      if (!isReady) failReady(new SVC_ERR_STOPPED('the discovery view'))
      await running
    }
  }
}
