// Moving bytes: bounded head reads and framed body relays over StreamReaders, with backpressure
// (a write that returns false is awaited until 'drain' before the next chunk is read).
import type { Duplex } from 'node:stream'
import type { BodyFraming, HeadLimits, HeadResult } from '../types.ts'
import { createChunkedScanner } from '../chunked.ts'
import { CHAIN_ERR_HTTP_BAD_HEAD, CHAIN_ERR_HTTP_HEAD_TOO_LARGE } from '../errors.ts'
import { CHAIN_ERR_HTTP_BODY_INCOMPLETE, CHAIN_ERR_HTTP_BODY_TIMEOUT, CHAIN_ERR_HTTP_HEAD_INCOMPLETE } from './errors.ts'
import type { StreamReader } from './stream-reader.ts'

/** Write, and when the stream's buffer is full wait for it to drain (or fail). */
export function write (dst: Duplex, chunk: Buffer): Promise<void> | undefined {
  if (dst.destroyed) return Promise.reject(Object.assign(new Error('write after close'), { code: 'ERR_STREAM_DESTROYED' }))
  if (dst.write(chunk)) return undefined
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      dst.off('drain', onDrain); dst.off('close', onClose); dst.off('error', onClose)
      if (err === undefined) resolve(); else reject(err)
    }
    const onDrain = (): void => done()
    const onClose = (err?: Error): void => done(err instanceof Error ? err : Object.assign(new Error('stream closed while writing'), { code: 'ERR_STREAM_DESTROYED' }))
    dst.on('drain', onDrain); dst.once('close', onClose); dst.once('error', onClose)
  })
}

export interface HeadReadOptions {
  limits: HeadLimits
  /** 0: no deadline. */
  timeoutMs: number
  /** Who sends this head, for error messages ("client", "upstream tcp://..."). */
  peer: string
  /** Called when the deadline passes before the head is complete; returns the error to throw. */
  onTimeout: (gotBytes: boolean) => Error
}

/**
 * Read one head. Returns null when the peer closed cleanly before sending any byte; bytes after
 * the head stay in the reader. Throws coded errors (the codec's, timeout, incomplete head).
 */
export async function readHead<T extends { bytes: number }> (
  r: StreamReader, parse: (buf: Buffer, limits?: HeadLimits) => HeadResult<T>, options: HeadReadOptions
): Promise<T | null> {
  let buf: Buffer | undefined
  let timer: NodeJS.Timeout | undefined
  let timedOut = false
  const max = options.limits.maxBytes ?? 16 * 1024
  try {
    for (;;) {
      const c = r.take()
      if (c === undefined) {
        if (timer === undefined && options.timeoutMs > 0) {
          timer = setTimeout(() => { timedOut = true; r.interrupt() }, options.timeoutMs)
        }
        await r.wait()
        if (timedOut) throw options.onTimeout(buf !== undefined)
        continue
      }
      if (c === null) {
        if (buf === undefined) return null
        throw new CHAIN_ERR_HTTP_HEAD_INCOMPLETE(options.peer)
      }
      buf = buf === undefined ? c : Buffer.concat([buf, c])
      const result = parse(buf, options.limits)
      if (result.status === 'done') {
        if (buf.length > result.head.bytes) r.unshift(buf.subarray(result.head.bytes))
        return result.head
      }
      if (result.status === 'not_http') throw new CHAIN_ERR_HTTP_BAD_HEAD('not an HTTP/1 message')
      // The codec bounds the head itself; this guards the buffer should it ever not.
      if (buf.length > max) throw new CHAIN_ERR_HTTP_HEAD_TOO_LARGE('bytes', max)
    }
  } finally {
    if (timer !== undefined) clearTimeout(timer)
  }
}

/**
 * Relay one body from `src` to `dst` as framed, bytes unchanged. Returns the bytes moved.
 * `dst` undefined: read and discard. Returns -1 once more than `max` bytes went by (the rest is left unread).
 * `idleMs` > 0: CHAIN_ERR_HTTP_BODY_TIMEOUT when `src` sends nothing for that long (a stalled peer
 * must not hold the other side's connection forever). Throws CHAIN_ERR_HTTP_BODY_INCOMPLETE when `src` ends early
 * (until_close bodies end with `src`), the chunk scanner's errors, and `dst` write errors.
 */
export async function relayBody (src: StreamReader, dst: Duplex | undefined, framing: BodyFraming, peer: string, max = Infinity, idleMs = 0): Promise<number> {
  if (framing.kind === 'none') return 0
  let moved = 0
  let remaining = framing.kind === 'length' ? framing.length : Infinity
  if (remaining === 0) return 0
  const scanner = framing.kind === 'chunked' ? createChunkedScanner() : undefined
  for (;;) {
    let c = src.take()
    if (c === undefined) {
      if (idleMs <= 0) { await src.wait(); continue }
      let timedOut = false
      const timer = setTimeout(() => { timedOut = true; src.interrupt() }, idleMs)
      await src.wait()
      clearTimeout(timer)
      if (timedOut) throw new CHAIN_ERR_HTTP_BODY_TIMEOUT(peer, idleMs)
      continue
    }
    if (c === null) {
      if (framing.kind === 'until_close') return moved
      throw new CHAIN_ERR_HTTP_BODY_INCOMPLETE(peer)
    }
    let done = false
    if (scanner !== undefined) {
      const r = scanner.push(c)
      if (r.consumed < c.length) { src.unshift(c.subarray(r.consumed)); c = c.subarray(0, r.consumed) }
      done = r.done
    } else if (framing.kind === 'length') {
      if (c.length >= remaining) {
        if (c.length > remaining) { src.unshift(c.subarray(remaining)); c = c.subarray(0, remaining) }
        done = true
      }
      remaining -= c.length
    }
    moved += c.length
    if (moved > max) return -1
    if (dst !== undefined && c.length > 0) {
      const p = write(dst, c)
      if (p !== undefined) await p
    }
    if (done) return moved
  }
}
