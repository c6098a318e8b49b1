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

export async function splice (a: Duplex, b: Duplex): Promise<SpliceResult> {
  const ca = counter(a)
  const cb = counter(b)
  // pipeline() only destroys a stream when the pipeline fails, so two one-way pipelines keep
  // half-close intact; a failure in one tears down both streams, which ends the other too.
  const results = await Promise.allSettled([pipeline(a, b), pipeline(b, a)])
  const failed = results.find(r => r.status === 'rejected')
  if (failed != null) {
    const err = (failed as PromiseRejectedResult).reason as Error
    a.destroy(); b.destroy()
    throw Object.assign(err, { aToB: ca.bytes, bToA: cb.bytes })
  }
  // Both directions ended cleanly: release the handles.
  a.destroy(); b.destroy()
  return { aToB: ca.bytes, bToA: cb.bytes }
}
