// Dialing a socket for the tcp and tls kinds: one place that turns the ways a connect can end
// (refused, unreachable, our timeout, the caller's abort) into coded errors, keeping the OS error
// as the cause. Callers branch on err.code, never on messages.
import type net from 'node:net'
import { hostOf, targetOf } from './url.ts'
import { TUN_ERR_ABORTED, TUN_ERR_CONNECT_REFUSED, TUN_ERR_CONNECT_TIMEOUT, TUN_ERR_INVALID_URL, TUN_ERR_UNREACHABLE } from './errors.ts'

/** The bounded wait for a connect (and, for tls, its handshake); the OS alone waits minutes. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000

// Name resolution and routing failures: the target cannot be reached from here at all.
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN'])

export interface Endpoint { host: string, port: number }

/**
 * host and port from the authority of a tcp:// or tls:// URL. These kinds reach exactly what the
 * authority names, so a target path is refused rather than silently ignored. A listen URL may
 * leave the port out (any free port); an open URL may not.
 */
export function endpointOf (url: URL, forListen = false): Endpoint {
  if (targetOf(url).kind !== 'none') throw new TUN_ERR_INVALID_URL(url.href, `${url.protocol}// URLs take no target path`)
  const host = hostOf(url)
  if (host === '') throw new TUN_ERR_INVALID_URL(url.href, 'missing host')
  if (url.port === '' && !forListen) throw new TUN_ERR_INVALID_URL(url.href, 'missing port')
  const port = url.port === '' ? 0 : Number(url.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535 || (port === 0 && !forListen)) {
    throw new TUN_ERR_INVALID_URL(url.href, `bad port "${url.port}"`)
  }
  return { host, port }
}

export function mapConnectError (err: Error & { code?: string }, url: URL): Error {
  if (err.code === 'ECONNREFUSED') return new TUN_ERR_CONNECT_REFUSED(url.href, { cause: err })
  if (err.code != null && UNREACHABLE.has(err.code)) return new TUN_ERR_UNREACHABLE(`${url.href} (${err.code})`, { cause: err })
  return err // ETIMEDOUT, TLS verification errors, ...: their own codes are already API
}

export interface DialOptions {
  signal: AbortSignal
  /** 0 disables our timer. */
  timeoutMs: number
  /** The event that means the stream is usable: 'connect' for tcp, 'secureConnect' for tls. */
  readyEvent: 'connect' | 'secureConnect'
}

/**
 * Create the socket with `create()` and wait until it is ready. `create` runs synchronously, so an
 * abort right after open() was called finds a connect in progress and destroys its socket.
 */
export function dialSocket<S extends net.Socket> (url: URL, create: () => S, options: DialOptions): Promise<S> {
  const { signal, timeoutMs, readyEvent } = options
  if (signal.aborted) return Promise.reject(new TUN_ERR_ABORTED(url.href, { cause: signal.reason }))
  return new Promise<S>((resolve, reject) => {
    const socket = create()
    let timer: NodeJS.Timeout | undefined
    const done = (err: Error | null): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', onAbort)
      socket.off(readyEvent, onReady)
      socket.off('error', onError)
      if (err == null) { resolve(socket); return }
      // An abandoned socket may still have an error queued; it must not become uncaught.
      socket.on('error', () => {})
      socket.destroy()
      reject(err)
    }
    const onReady = (): void => { done(null) }
    const onError = (err: Error): void => { done(mapConnectError(err, url)) }
    const onAbort = (): void => { done(new TUN_ERR_ABORTED(url.href, { cause: signal.reason })) }
    socket.once(readyEvent, onReady)
    socket.once('error', onError)
    signal.addEventListener('abort', onAbort, { once: true })
    if (timeoutMs > 0) timer = setTimeout(() => { done(new TUN_ERR_CONNECT_TIMEOUT(url.href, timeoutMs)) }, timeoutMs)
  })
}
