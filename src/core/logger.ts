// The root logger is made once, in bin/, and injected everywhere else.
import { pino, type Logger } from 'pino'

export type { Logger }

export interface LoggerOptions {
  level?: string
  /** Write to this file descriptor (default: stdout). */
  fd?: number
}

export function createRootLogger (options: LoggerOptions = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    base: { pid: process.pid },
    redact: {
      paths: ['key', 'token', 'password', 'secret', '*.key', '*.token', '*.password', 'headers.authorization'],
      censor: '[redacted]'
    }
  }, pino.destination({
    fd: options.fd ?? 1,
    // Synchronous writes, as Node's own stdout does on pipes. With asynchronous ones, pino
    // flushes at exit with sonic-boom's flushSync, which (4.2) retries an EPIPE forever: a
    // gateway whose log reader died could never stop. A sync write that hits EPIPE is caught
    // by pino, which then stops logging.
    sync: true
  }))
}

/** A logger that drops everything; for unit tests and library use without a logger. */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}
