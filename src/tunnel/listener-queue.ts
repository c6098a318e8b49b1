// The accept queue every tunnel kind shares: the kind push()es streams it has accepted, consumers
// take them with `for await (const stream of listener.accept())`.
//
// Bounded behaviour: at most `maxPending` streams (default 128, a typical listen backlog) wait
// for a consumer. A stream pushed past that is destroyed at once with TUN_ERR_ACCEPT_QUEUE_FULL
// and push() returns false. We shed rather than pause because not every kind can pause accepting
// (net.Server has no pause; rtcp streams arrive over a shared session), and shedding tells the
// dialer right away (its stream resets) instead of leaving it hanging while memory grows with
// every connection attempt. One rule for every kind keeps the compliance suite meaningful.
//
// close() ends every accept() iteration and destroys the streams still queued (accepted by the
// kind, never taken by a consumer) with TUN_ERR_LISTENER_CLOSED, as a kernel resets its backlog
// when a listening socket closes. Streams already handed to a consumer are untouched.
import type { TunnelListener, TunnelStream } from './types.ts'
import type { Logger } from '../core/logger.ts'
import { TUN_ERR_ACCEPT_QUEUE_FULL, TUN_ERR_LISTENER_CLOSED } from './errors.ts'

export const DEFAULT_MAX_PENDING = 128

export interface ListenerQueueOptions {
  /** Streams that may wait for a consumer before new ones are shed. @default 128 */
  maxPending?: number
  logger?: Logger
}

interface Queued {
  stream: TunnelStream
  // While queued nobody else listens on the stream: a reset from the dialer must not become an
  // uncaught 'error', and a stream that died while waiting must not be handed out.
  onError: (err: Error) => void
  onClose: () => void
}

type Waiter = (stream: TunnelStream | null) => void

// Destroy a stream nobody else has seen. The error is for the stream's `errored` and the peer's
// sake; with no listener of our own it would be an uncaught 'error'.
function shed (stream: TunnelStream, err: Error): void {
  stream.on('error', () => {})
  stream.destroy(err)
}

export class ListenerQueue implements TunnelListener {
  readonly url: URL
  readonly #maxPending: number
  readonly #logger: Logger | undefined
  readonly #onClose: (() => void | Promise<void>) | undefined
  #queued: Queued[] = []
  #waiters: Waiter[] = []
  #closing: Promise<void> | null = null

  constructor (url: URL, onClose?: () => void | Promise<void>, options: ListenerQueueOptions = {}) {
    this.url = url
    this.#onClose = onClose
    this.#maxPending = options.maxPending ?? DEFAULT_MAX_PENDING
    this.#logger = options.logger
  }

  get closed (): boolean {
    return this.#closing != null
  }

  /** Streams accepted by the kind and not yet taken by a consumer. */
  get pending (): number {
    return this.#queued.length
  }

  /** Hand an accepted stream to the consumers. False when it was shed (and destroyed). */
  push (stream: TunnelStream): boolean {
    if (this.#closing != null) {
      shed(stream, new TUN_ERR_LISTENER_CLOSED(this.url.href))
      return false
    }
    const waiter = this.#waiters.shift()
    if (waiter != null) {
      waiter(stream)
      return true
    }
    if (this.#queued.length >= this.#maxPending) {
      this.#logger?.debug({ url: this.url.href, pending: this.#queued.length }, 'accept queue full, stream shed')
      shed(stream, new TUN_ERR_ACCEPT_QUEUE_FULL(this.url.href, this.#queued.length))
      return false
    }
    const entry: Queued = {
      stream,
      onError: () => {},
      onClose: () => { this.#remove(entry) }
    }
    stream.on('error', entry.onError)
    stream.once('close', entry.onClose)
    this.#queued.push(entry)
    return true
  }

  accept (options: { signal?: AbortSignal } = {}): AsyncIterable<TunnelStream> {
    return { [Symbol.asyncIterator]: () => this.#iterate(options.signal) }
  }

  // Aborting accept()'s signal ends that iteration quietly (the caller asked to stop); the
  // listener itself stays open for other consumers.
  async * #iterate (signal: AbortSignal | undefined): AsyncGenerator<TunnelStream> {
    while (true) {
      const stream = await this.#next(signal)
      if (stream == null) return
      yield stream
    }
  }

  #next (signal: AbortSignal | undefined): Promise<TunnelStream | null> {
    for (let entry = this.#queued.shift(); entry != null; entry = this.#queued.shift()) {
      this.#release(entry)
      // Destroyed while queued, its 'close' not emitted yet: nothing to hand out.
      if (!entry.stream.destroyed) return Promise.resolve(entry.stream)
    }
    if (this.#closing != null || signal?.aborted === true) return Promise.resolve(null)
    return new Promise(resolve => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter)
        if (i !== -1) this.#waiters.splice(i, 1)
        resolve(null)
      }
      const waiter: Waiter = (stream) => {
        signal?.removeEventListener('abort', onAbort)
        resolve(stream)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }

  #release (entry: Queued): void {
    entry.stream.off('error', entry.onError)
    entry.stream.off('close', entry.onClose)
  }

  #remove (entry: Queued): void {
    const i = this.#queued.indexOf(entry)
    if (i === -1) return
    this.#queued.splice(i, 1)
    this.#release(entry)
  }

  close (): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close (): Promise<void> {
    for (const waiter of this.#waiters.splice(0)) waiter(null)
    for (const entry of this.#queued.splice(0)) {
      this.#release(entry)
      shed(entry.stream, new TUN_ERR_LISTENER_CLOSED(this.url.href))
    }
    await this.#onClose?.()
  }

  async [Symbol.asyncDispose] (): Promise<void> {
    await this.close()
  }
}
