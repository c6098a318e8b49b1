// Join two duplex streams both ways, keeping half-close: when one side ends its writing, the
// other side's writable end is ended and the reverse direction keeps flowing. An error on either
// side destroys both. Resolves with the bytes moved each way once both directions are done.
import { pipeline } from 'node:stream/promises'
import type { Duplex } from 'node:stream'

export interface SpliceResult {
  /** Bytes read from `a` and written to `b`. */
  aToB: number
  /** Bytes read from `b` and written to `a`. */
  bToA: number
}

function counter (stream: Duplex): { bytes: number } {
  const c = { bytes: 0 }
  stream.on('data', (chunk: Buffer) => { c.bytes += chunk.length })
  return c
}

/** Tear a stream down so that its peer sees a reset, not a clean end (TCP: RST; rtcp: yamux RST). */
export function resetStream (s: Duplex, err?: unknown): void {
  if (s.destroyed) return
  const socket = s as Duplex & { resetAndDestroy?: () => void }
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy()
  else s.destroy(err == null ? undefined : err instanceof Error ? err : new Error(String(err)))
}

export async function splice (a: Duplex, b: Duplex): Promise<SpliceResult> {
  const ca = counter(a)
  const cb = counter(b)
  // Registered before pipeline()'s own handlers, so a reset on one side is passed on as a reset
  // before pipeline() tears the other side down with a plain destroy (which would be a FIN).
  a.once('error', (err: Error) => resetStream(b, err))
  b.once('error', (err: Error) => resetStream(a, err))
  // pipeline() only destroys a stream when the pipeline fails, so two one-way pipelines keep
  // half-close intact; a failure in one tears down both streams, which ends the other too.
  const results = await Promise.allSettled([pipeline(a, b), pipeline(b, a)])
  const failed = results.find(r => r.status === 'rejected')
  if (failed != null) {
    const err = (failed as PromiseRejectedResult).reason as Error
    resetStream(a, err); resetStream(b, err)
    throw Object.assign(err, { aToB: ca.bytes, bToA: cb.bytes })
  }
  // Both directions ended cleanly: release the handles.
  a.destroy(); b.destroy()
  return { aToB: ca.bytes, bToA: cb.bytes }
}
