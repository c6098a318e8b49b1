// The TCP-level `forward` action: open an upstream through the group, then splice client ⇄
// upstream until both directions are done. Bytes the probes unshift()-ed back into the client
// stream are read first by the splice, so the upstream sees the connection from its first byte.
import type { Duplex } from 'node:stream'
import { splice, resetStream as reset } from '../../tunnel/pipe.ts'
import { TUN_ERR_ABORTED } from '../../tunnel/errors.ts'
import type { ConnectOptions, UpstreamConnection, UpstreamConnector } from '../types.ts'
import { CHAIN_ERR_UPSTREAM_RESET } from './errors.ts'

export interface ForwardResult {
  /** The upstream URL the connection went to (absent when none could be opened). */
  upstream?: string
  /** Bytes read from the client and sent upstream. */
  bytesIn: number
  /** Bytes read from the upstream and sent to the client. */
  bytesOut: number
  error?: { code: string, message: string }
}

/** An error as a result field: its code (ERR_UNKNOWN when it has none) and message. */
export function describeError (err: unknown): { code: string, message: string } {
  const e = err as { code?: unknown, message?: unknown } | null
  return {
    code: typeof e?.code === 'string' ? e.code : 'ERR_UNKNOWN',
    message: typeof e?.message === 'string' ? e.message : String(err)
  }
}

export async function forwardConnection (client: Duplex, group: UpstreamConnector, options: ConnectOptions): Promise<ForwardResult> {
  // Until the splice owns the client, its errors must not go unhandled; and a client that goes
  // away while we are still connecting aborts the connect instead of leaving an orphan upstream.
  let firstError: 'client' | 'upstream' | undefined
  client.on('error', () => { firstError ??= 'client' })
  const gone = new AbortController()
  const onClose = (): void => gone.abort(new TUN_ERR_ABORTED('client connection closed'))
  client.once('close', onClose)

  let conn: UpstreamConnection
  try {
    conn = await group.connect({ ...options, signal: AbortSignal.any([options.signal, gone.signal]) })
  } catch (err) {
    client.off('close', onClose)
    reset(client, err)
    return { bytesIn: 0, bytesOut: 0, error: describeError(err) }
  }
  client.off('close', onClose)

  const upstream = conn.stream
  const started = performance.now()
  let firstByteMs: number | undefined
  upstream.on('error', () => { firstError ??= 'upstream' })
  // Same tick as splice() below: no chunk can be emitted before both listeners are on. Reported
  // at once rather than when the splice ends, which for a long-lived connection may be hours.
  upstream.once('data', () => {
    firstByteMs = performance.now() - started
    conn.report({ ok: true, firstByteMs })
  })
  // The caller's signal also bounds the splice (the gateway stopping): both sides are reset.
  const onAbort = (): void => { reset(client, options.signal.reason); reset(upstream, options.signal.reason) }
  options.signal.addEventListener('abort', onAbort, { once: true })
  if (options.signal.aborted) onAbort()
  try {
    const { aToB, bToA } = await splice(client, upstream)
    return { upstream: conn.url, bytesIn: aToB, bytesOut: bToA }
  } catch (err) {
    const e = err as Error & { aToB?: number, bToA?: number }
    let error = describeError(err)
    if (firstByteMs === undefined && firstError === 'upstream') {
      // The upstream accepted and then reset before answering: passive health counts that.
      conn.report({ ok: false })
      error = describeError(new CHAIN_ERR_UPSTREAM_RESET(conn.url, { cause: err }))
    }
    return { upstream: conn.url, bytesIn: e.aToB ?? 0, bytesOut: e.bToA ?? 0, error }
  } finally {
    options.signal.removeEventListener('abort', onAbort)
  }
}
