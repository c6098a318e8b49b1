// The access log: one JSON line per connection (forwarded, rejected, dropped, failed) and one per
// HTTP request, with the stack, chain, route, upstream, status, bytes each way and duration. It
// goes to the main log (mod "access") or, when configured, to a file of its own.
import { pino, type Logger } from 'pino'

export interface AccessEntry {
  stack: string
  chain?: string
  route?: string
  upstream?: string
  source?: string
  sni?: string
  host?: string
  method?: string
  path?: string
  status?: number
  bytesIn?: number
  bytesOut?: number
  ms: number
  error?: string
  reason?: string
  [key: string]: unknown
}

export interface AccessLog {
  /** False when access logging is off: callers skip building entries. */
  readonly enabled: boolean
  write(entry: AccessEntry): void
  close(): Promise<void>
}

export interface AccessLogOptions {
  enabled: boolean
  file?: string
}

export function createAccessLog (options: AccessLogOptions, logger: Logger): AccessLog {
  if (!options.enabled) return { enabled: false, write () {}, async close () {} }
  if (options.file == null) {
    const log = logger.child({ mod: 'access' })
    return { enabled: true, write: (e) => log.info(e, 'access'), async close () {} }
  }
  const dest = pino.destination({ dest: options.file, mkdir: true, sync: false })
  const log = pino({ base: null, timestamp: pino.stdTimeFunctions.isoTime }, dest)
  return {
    enabled: true,
    write: (e) => log.info(e, 'access'),
    async close () {
      await new Promise<void>(resolve => { dest.flush(() => resolve()) })
      dest.end()
    }
  }
}
