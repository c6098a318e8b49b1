// The DDNS reporter: tells the SN where this device is, at once and then every interval, so its
// names follow the device within one interval. A failed report is retried sooner, backing off
// exponentially but never waiting longer than the interval itself.
import { EventEmitter } from 'node:events'
import type { Logger } from '../core/logger.ts'
import type { DdnsAnswer, SnClient } from './sn-client.ts'
import { publicInterfaceAddrs } from './public-addrs.ts'

export interface DdnsReporterInit {
  client: Pick<SnClient, 'report'>
  /** Time between successful reports. */
  intervalMs: number
  /** Whether this device accepts connections on its addresses (else the SN routes via its relay). */
  direct: boolean | (() => boolean)
  /** The addresses to report (default: publicInterfaceAddrs()). */
  addrs?: () => string[]
  logger: Logger
  /** First retry delay after a failure (default: min(1 s, interval)); doubles up to the interval. */
  retryMinMs?: number
}

export interface DdnsReporter {
  /** The SN's last answer. */
  readonly last: DdnsAnswer | undefined
  /** Report now (e.g. after an address change) unless a report is in flight; the schedule restarts. */
  reportNow (): void
  on (event: 'report', fn: (answer: DdnsAnswer) => void): this
  on (event: 'failure', fn: (err: Error, retryInMs: number) => void): this
  off (event: 'report' | 'failure', fn: (...args: any[]) => void): this
  stop (): void
}

export function startDdnsReporter (init: DdnsReporterInit): DdnsReporter {
  const { client, intervalMs } = init
  const log = init.logger.child({ mod: 'zone.ddns' })
  const addrs = init.addrs ?? publicInterfaceAddrs
  const direct = typeof init.direct === 'function' ? init.direct : () => init.direct as boolean
  const retryMinMs = Math.max(1, Math.min(init.retryMinMs ?? 1000, intervalMs))
  const events = new EventEmitter()
  let last: DdnsAnswer | undefined
  let lastSeen: string | undefined
  let failures = 0
  let timer: NodeJS.Timeout | undefined
  let inFlight = false
  let stopped = false

  function schedule (ms: number): void {
    clearTimeout(timer)
    if (stopped) return
    timer = setTimeout(run, ms)
    // A reporter alone must not keep the process alive.
    timer.unref()
  }

  function run (): void {
    if (stopped || inFlight) return
    clearTimeout(timer)
    inFlight = true
    let body: { addrs: string[], direct: boolean }
    try {
      body = { addrs: addrs(), direct: direct() }
    } catch (err) {
      inFlight = false
      failed(err as Error)
      return
    }
    client.report(body).then(answer => {
      inFlight = false
      if (stopped) return
      if (failures > 0) log.info({ failures }, 'ddns report accepted again')
      failures = 0
      last = answer
      // What the SN publishes for us; log only when it changes, not every interval.
      const seen = JSON.stringify({ observed: answer.observed, records: answer.records })
      if (seen !== lastSeen) {
        log.info({ zone: answer.zone, observed: answer.observed, records: answer.records }, 'ddns records changed')
        lastSeen = seen
      }
      schedule(intervalMs)
      events.emit('report', answer)
    }, (err: Error) => {
      inFlight = false
      if (!stopped) failed(err)
    })
  }

  function failed (err: Error): void {
    failures++
    const retryInMs = Math.min(intervalMs, retryMinMs * 2 ** Math.min(failures - 1, 30))
    if (failures === 1) log.warn({ err, retryInMs }, 'ddns report failed')
    else log.debug({ err, failures, retryInMs }, 'ddns report failed again')
    schedule(retryInMs)
    events.emit('failure', err, retryInMs)
  }

  const reporter: DdnsReporter = {
    get last () { return last },
    reportNow: run,
    on (event: string, fn: (...args: any[]) => void) { events.on(event, fn); return reporter },
    off (event: string, fn: (...args: any[]) => void) { events.off(event, fn); return reporter },
    stop () {
      stopped = true
      clearTimeout(timer)
    }
  }
  // At once, but after the caller has had a chance to attach listeners.
  schedule(0)
  return reporter
}
