// An instance reports itself: services/<svc>/instances/<node> = {state, ports, weight, pid,
// expires_at}, written at once and refreshed every ttl/3, so two refreshes may fail in a row
// before readers drop it. stop() deletes the key; a process that dies without stop() simply
// stops refreshing and expires.
import type { Logger } from '../core/logger.ts'
import type { DiscoverySource } from './source.ts'
import { checkName, instanceKey, MAX_PORTS, MAX_WEIGHT, type InstanceReport } from './records.ts'
import { SVC_ERR_BAD_INSTANCE } from './errors.ts'

export interface AnnounceInit {
  source: DiscoverySource
  service: string
  node: string
  /** Named ports, e.g. {http: 8080}. */
  ports: Record<string, number>
  weight?: number
  /** Default 30 s. */
  ttlMs?: number
  /** Default 'running'; anything else keeps the report but takes the instance out of rotation. */
  state?: string
  pid?: number
  logger: Logger
  now?: () => number
}

export interface Announcement {
  readonly key: string
  /** Resolves once the first report is written (rejects if that write fails). */
  readonly written: Promise<void>
  /** Stop refreshing and delete the key. */
  stop (): Promise<void>
}

export const DEFAULT_TTL_MS = 30_000
const MIN_TTL_MS = 300

export function announceInstance (init: AnnounceInit): Announcement {
  checkName('service', init.service)
  checkName('node', init.node)
  const ports = Object.entries(init.ports)
  if (ports.length === 0 || ports.length > MAX_PORTS) throw new SVC_ERR_BAD_INSTANCE(init.service, `needs 1..${MAX_PORTS} ports`)
  for (const [name, port] of ports) {
    checkName('port', name)
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SVC_ERR_BAD_INSTANCE(init.service, `port ${name}=${port} is not 1..65535`)
  }
  const weight = init.weight ?? 1
  if (!(weight > 0 && weight <= MAX_WEIGHT)) throw new SVC_ERR_BAD_INSTANCE(init.service, `weight must be in (0, ${MAX_WEIGHT}]`)
  const ttlMs = Math.max(init.ttlMs ?? DEFAULT_TTL_MS, MIN_TTL_MS)
  const now = init.now ?? Date.now
  const key = instanceKey(init.service, init.node)
  const log = init.logger.child({ mod: 'discovery.announce', service: init.service, node: init.node })
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let inFlight: Promise<void> = Promise.resolve()

  function report (): string {
    const r: InstanceReport = { state: init.state ?? 'running', ports: { ...init.ports }, weight, expires_at: now() + ttlMs }
    if (init.pid !== undefined) r.pid = init.pid
    return JSON.stringify(r)
  }

  async function write (): Promise<void> {
    await init.source.set(key, report())
  }

  function schedule (): void {
    if (stopped) return
    timer = setTimeout(() => {
      inFlight = write().then(() => log.trace('instance refreshed'), err => log.warn({ err }, 'instance refresh failed; retrying at the next interval'))
      void inFlight.then(schedule)
    }, Math.floor(ttlMs / 3))
    timer.unref()
  }

  const written = write()
  written.then(() => { log.info({ key, ttlMs }, 'instance announced'); schedule() }, err => {
    log.warn({ err }, 'first instance report failed; retrying at the next interval')
    schedule()
  })

  return {
    key,
    written,
    async stop () {
      if (stopped) return
      stopped = true
      clearTimeout(timer)
      // A refresh landing after the delete would resurrect the key until it expires.
      await inFlight
      await written.catch(() => {})
      await init.source.delete(key)
      log.info({ key }, 'instance withdrawn')
    }
  }
}
