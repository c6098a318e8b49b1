// One end of an in-process connection: two MemoryStreams joined back to back, each writing into
// the other's readable buffer.
//
// Backpressure is real and bounded: _write() pushes the chunk into the peer's readable buffer and,
// when that buffer is past its highWaterMark, holds the write callback until the peer's _read()
// asks for more. So a writer whose peer does not read sees write() return false, and at most
// about two highWaterMarks (plus one chunk) sit in memory per direction.
//
// Half-close: end() pushes end-of-stream to the peer, which can still write back.
//
// Peer destroy: destroying one end before both directions have finished destroys the other end
// with an Error whose code is ECONNRESET, like a reset TCP connection (and like rtcp streams), so
// consumers handle every kind the same way. Once both directions ended, destroy is a plain close.
import { Duplex } from 'node:stream'
import type { TunnelStream } from '../types.ts'

export const DEFAULT_MEMORY_HIGH_WATER_MARK = 64 * 1024

let nextId = 0

function resetError (): Error {
  return Object.assign(new Error('memory stream reset by peer'), { code: 'ECONNRESET' })
}

export class MemoryStream extends Duplex implements TunnelStream {
  readonly id: string
  readonly localUrl: URL
  readonly remoteUrl: URL
  #peer: MemoryStream | null = null
  #heldWrite: ((err?: Error | null) => void) | null = null
  #sentEnd = false
  #gotEnd = false

  /** Two connected ends: what one writes, the other reads. */
  static pair (aUrl: URL, bUrl: URL, highWaterMark = DEFAULT_MEMORY_HIGH_WATER_MARK): [MemoryStream, MemoryStream] {
    const a = new MemoryStream(aUrl, bUrl, highWaterMark)
    const b = new MemoryStream(bUrl, aUrl, highWaterMark)
    a.#peer = b
    b.#peer = a
    return [a, b]
  }

  private constructor (localUrl: URL, remoteUrl: URL, highWaterMark: number) {
    super({ allowHalfOpen: true, highWaterMark })
    this.id = `mem-${process.pid}-${++nextId}`
    this.localUrl = localUrl
    this.remoteUrl = remoteUrl
  }

  override _read (): void {
    // We want more: let the peer's held write complete so its writer may continue.
    const peer = this.#peer
    if (peer == null) return
    const cb = peer.#heldWrite
    peer.#heldWrite = null
    cb?.()
  }

  override _write (chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    const peer = this.#peer
    if (peer == null) { cb(resetError()); return }
    // Copy: a writer may reuse its buffer once the callback ran, as it may with a socket.
    if (peer.push(Buffer.from(chunk))) cb()
    else this.#heldWrite = cb
  }

  override _final (cb: (err?: Error | null) => void): void {
    const peer = this.#peer
    if (peer == null) { cb(resetError()); return }
    this.#sentEnd = true
    peer.#gotEnd = true
    peer.push(null)
    cb()
  }

  override _destroy (err: Error | null, cb: (err?: Error | null) => void): void {
    const peer = this.#peer
    this.#peer = null
    const held = this.#heldWrite
    this.#heldWrite = null
    if (peer != null) {
      peer.#peer = null
      // Both directions ended: nothing is cut off, the peer finishes on its own. Otherwise the
      // peer is reset; its _destroy() releases any write of its own we were holding back.
      if (!(this.#sentEnd && this.#gotEnd) && !peer.destroyed) peer.destroy(resetError())
    }
    // Its bytes already sit in the peer's buffer: the write itself succeeded (later writes get
    // ERR_STREAM_DESTROYED from Node, as on a socket).
    held?.(err)
    cb(err)
  }
}
