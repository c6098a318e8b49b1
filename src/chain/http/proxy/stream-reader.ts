// Pull-style reading of a Duplex for the engine's loops: take() hands out the next chunk without
// a promise when one is queued, wait() parks until something arrives. Bytes read past the end of
// a message are put back with unshift() and stay with the stream, so a pipelined request or the
// next keep-alive exchange finds them. The queue is bounded: the stream is paused above
// `highWaterMark` and resumed only when the engine asks for more (backpressure to the peer).
import type { Duplex } from 'node:stream'

const readers = new WeakMap<Duplex, StreamReader>()

/** The one reader of `stream` (made on first use; it keeps the stream's unread bytes). */
export function readerFor (stream: Duplex): StreamReader {
  let r = readers.get(stream)
  if (r === undefined) { r = new StreamReader(stream); readers.set(stream, r) }
  return r
}

export class StreamReader {
  readonly stream: Duplex
  #chunks: Buffer[] = []
  #queued = 0
  #highWaterMark: number
  #ended = false
  #error: Error | undefined
  #paused = false
  #wake: (() => void) | undefined
  /** Set while the stream sits in an idle pool: any byte, end or error makes it unusable. */
  #idleWatch: (() => void) | undefined

  constructor (stream: Duplex, highWaterMark = 64 * 1024) {
    this.stream = stream
    this.#highWaterMark = highWaterMark
    stream.on('data', this.#onData)
    stream.on('end', this.#onEnd)
    stream.on('error', this.#onError)
    stream.on('close', this.#onClose)
  }

  #onData = (chunk: Buffer): void => {
    if (this.#idleWatch !== undefined) { this.#idleWatch(); return }
    this.#chunks.push(chunk)
    this.#queued += chunk.length
    if (this.#queued >= this.#highWaterMark && !this.#paused) { this.#paused = true; this.stream.pause() }
    this.#wakeUp()
  }

  #onEnd = (): void => { this.#ended = true; this.#idleWatch?.(); this.#wakeUp() }
  #onError = (err: Error): void => { this.#error ??= err; this.#idleWatch?.(); this.#wakeUp() }
  // A stream destroyed without 'end' (reset, local destroy) ends our reading too.
  #onClose = (): void => {
    if (!this.#ended) this.#error ??= Object.assign(new Error('stream closed'), { code: 'ECONNRESET' })
    this.#idleWatch?.(); this.#wakeUp()
  }

  #wakeUp (): void {
    const w = this.#wake
    if (w !== undefined) { this.#wake = undefined; w() }
  }

  /** The next chunk; null at a clean end; undefined when nothing is queued yet (then wait()). Throws the stream's error. */
  take (): Buffer | null | undefined {
    if (this.#chunks.length > 0) {
      const c = this.#chunks.shift() as Buffer
      this.#queued -= c.length
      return c
    }
    if (this.#error !== undefined) throw this.#error
    if (this.#ended) return null
    if (this.#paused) { this.#paused = false; this.stream.resume() }
    return undefined
  }

  /** Resolves when take() has something new to say, or when interrupt() is called. */
  wait (): Promise<void> {
    return new Promise(resolve => { this.#wake = resolve })
  }

  /** Wake a pending wait() (timeouts); the caller checks its own reason. */
  interrupt (): void { this.#wakeUp() }

  /** Give back bytes that belong to the next message. */
  unshift (chunk: Buffer): void {
    if (chunk.length === 0) return
    this.#chunks.unshift(chunk)
    this.#queued += chunk.length
  }

  get buffered (): number { return this.#queued }
  get usable (): boolean { return this.#error === undefined && !this.#ended && !this.stream.destroyed }

  /** Pooling: call `onBad` (once) when the idle stream receives bytes, ends or fails. */
  watchIdle (onBad: () => void): void {
    if (this.#queued > 0 || !this.usable) { onBad(); return }
    let called = false
    this.#idleWatch = () => { if (!called) { called = true; this.#idleWatch = undefined; onBad() } }
  }

  unwatchIdle (): void { this.#idleWatch = undefined }

  /** Stop reading (the stream changes hands, e.g. after an upgrade); returns the unread bytes. */
  detach (): Buffer {
    this.stream.pause()
    this.stream.off('data', this.#onData)
    this.stream.off('end', this.#onEnd)
    this.stream.off('error', this.#onError)
    this.stream.off('close', this.#onClose)
    readers.delete(this.stream)
    const rest = Buffer.concat(this.#chunks)
    this.#chunks = []
    this.#queued = 0
    return rest
  }
}
