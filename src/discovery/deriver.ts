// Derives services/<svc>/info (the live instances) from the instance reports. Writes only when
// the live set differs from what info already says, and then by a transaction conditioned on
// the info key's revision: two derivers (two gateways) computing the same set write it once,
// and a lost race is re-read rather than overwritten. One derivation per service at a time; a
// change during one marks the service for another pass.
import type { Logger } from '../core/logger.ts'
import type { DiscoverySource } from './source.ts'
import { startServiceView, type ServiceView } from './view.ts'
import { infoKey, isLive, isServiceName, parseServiceInfo, sortedPorts, type InfoInstance } from './records.ts'

export interface InfoDeriverInit {
  source: DiscoverySource
  logger: Logger
  now?: () => number
  watchTimeoutMs?: number
}

export interface InfoDeriver {
  /** Resolves after the first snapshot has been read and every service derived once. */
  readonly ready: Promise<void>
  /** Resolves when no derivation is pending or running (tests, orderly shutdown). */
  idle (): Promise<void>
  stop (): Promise<void>
}

/** Transactions lost in a row before giving up until the next change. */
const MAX_ATTEMPTS = 5

export function startInfoDeriver (init: InfoDeriverInit): InfoDeriver {
  const log = init.logger.child({ mod: 'discovery.derive' })
  const now = init.now ?? Date.now
  const running = new Map<string, Promise<void>>()
  const dirty = new Set<string>()
  let stopped = false

  const view: ServiceView = startServiceView({
    source: init.source,
    logger: log,
    now,
    watchTimeoutMs: init.watchTimeoutMs,
    onChange: services => { for (const s of services) kick(s) }
  })

  function kick (service: string): void {
    if (stopped) return
    if (running.has(service)) { dirty.add(service); return }
    const p = derive(service)
      .catch(err => log.warn({ err, service }, 'deriving service info failed'))
      .finally(() => {
        running.delete(service)
        if (dirty.delete(service)) kick(service)
      })
    running.set(service, p)
  }

  function liveSet (service: string): InfoInstance[] {
    const t = now()
    return view.instances(service)
      .filter(e => isLive(e.report, t))
      .map(e => ({ node: e.node, ports: sortedPorts(e.report.ports), weight: e.report.weight }))
      .sort((a, b) => a.node < b.node ? -1 : a.node > b.node ? 1 : 0)
  }

  async function derive (service: string): Promise<void> {
    const key = infoKey(service)
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && !stopped; attempt++) {
      const instances = liveSet(service)
      const current = await init.source.get(key)
      if (current !== undefined && sameInstances(current.value, instances)) return
      const value = JSON.stringify({ instances, revision: view.revision() })
      const r = await init.source.tx([{ op: 'set', key, value }], { key, revision: current?.revision ?? 0 })
      if (r.ok) {
        log.info({ service, nodes: instances.map(i => i.node), revision: r.revision }, 'service info updated')
        return
      }
      log.debug({ service, attempt }, 'info changed under us; reading it again')
    }
  }

  const ready = view.ready.then(async () => {
    // The first snapshot kicked every service with reports; a service whose reports are all
    // gone but whose info still lists instances is found by its info key alone.
    const infos = await init.source.list('services/')
    for (const s of infos) if (isServiceName(s) && !running.has(s) && view.instances(s).length === 0) await staleInfo(s)
    await idle()
  })
  ready.catch(() => {})

  async function staleInfo (service: string): Promise<void> {
    try {
      const current = await init.source.get(infoKey(service))
      if (current !== undefined && !sameInstances(current.value, [])) kick(service)
    } catch (err) {
      log.warn({ err, service }, 'reading service info failed')
    }
  }

  async function idle (): Promise<void> {
    while (running.size > 0) await Promise.all([...running.values()])
  }

  return {
    ready,
    idle,
    async stop () {
      stopped = true
      await view.stop()
      await idle()
    }
  }
}

function sameInstances (text: string, instances: InfoInstance[]): boolean {
  try {
    return JSON.stringify(parseServiceInfo(text).instances.map(i => ({ node: i.node, ports: sortedPorts(i.ports), weight: i.weight }))) === JSON.stringify(instances)
  } catch {
    return false // an unreadable info is rewritten
  }
}
