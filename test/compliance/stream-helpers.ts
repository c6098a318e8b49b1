// Small, bounded helpers for the tunnel compliance suite: read a stream to its end, take one
// accepted stream, see whether a peer's destroy() reached a stream, count socket handles.
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Duplex } from 'node:stream'
import type { TunnelListener, TunnelStream } from '../../src/tunnel/types.ts'

export function sha256 (...chunks: Buffer[]): string {
  const h = createHash('sha256')
  for (const c of chunks) h.update(c)
  return h.digest('hex')
}

/** Everything the stream yields until 'end'; rejects on 'error' or a 'close' without 'end'. */
export function readAll (stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.once('end', () => resolve(Buffer.concat(chunks)))
    stream.once('error', reject)
    stream.once('close', () => reject(new Error('stream closed before end')))
  })
}

/**
 * Collects everything a stream yields from now on (switching it to flowing mode), so a test can
 * wait for "at least n bytes so far" without losing data between waits.
 */
export class Collector {
  readonly #chunks: Buffer[] = []
  #length = 0
  #failure: Error | null = null
  #wake: (() => void) | null = null

  constructor (stream: Duplex) {
    stream.on('data', (c: Buffer) => { this.#chunks.push(c); this.#length += c.length; this.#wake?.() })
    stream.once('error', (err: Error) => { this.#failure ??= err; this.#wake?.() })
    stream.once('end', () => { this.#failure ??= new Error('stream ended'); this.#wake?.() })
  }

  get text (): string {
    return Buffer.concat(this.#chunks).toString()
  }

  /** Resolves with all bytes so far once at least `n` arrived; rejects if the stream ends first. */
  async atLeast (n: number): Promise<Buffer> {
    while (this.#length < n) {
      if (this.#failure != null) throw this.#failure
      await new Promise<void>(resolve => { this.#wake = resolve })
    }
    return Buffer.concat(this.#chunks)
  }
}

/** Take one stream from the listener; rejects if the listener closes first. */
export async function acceptOne (listener: TunnelListener): Promise<TunnelStream> {
  for await (const stream of listener.accept()) return stream
  throw new Error('listener closed before a stream arrived')
}

export interface Noticed {
  error: (Error & { code?: unknown }) | undefined
  sawEnd: boolean
  closed: boolean
}

/**
 * Watch `survivor` after its peer was destroyed. It keeps reading and writes a byte every 10 ms:
 * over TCP a destroy() with nothing unread sends FIN, which looks like end(); only the next write
 * meets the reset (EPIPE/ECONNRESET). Bounded: at most `maxTurns` writes.
 */
export async function watchPeerGone (survivor: Duplex, maxTurns = 500): Promise<Noticed> {
  const result: Noticed = { error: undefined, sawEnd: false, closed: false }
  survivor.on('error', (err: Error) => { result.error ??= err })
  survivor.on('end', () => { result.sawEnd = true })
  const closed = new Promise<void>(resolve => survivor.once('close', () => { result.closed = true; resolve() }))
  survivor.resume()
  for (let i = 0; i < maxTurns && !result.closed; i++) {
    if (!survivor.destroyed && survivor.writable) survivor.write('x')
    await Promise.race([closed, sleep(10)])
  }
  return result
}

// Handles a tunnel may leave behind: sockets, servers, pending connects, TLS wraps, pipes.
const SOCKET_RESOURCE = /^(TCP|TLS|Pipe|UDP)/i

export function socketHandles (): string[] {
  return process.getActiveResourcesInfo().filter(r => SOCKET_RESOURCE.test(r))
}

/**
 * Wait (bounded) until no more socket handles are active than in `baseline`. Closing a handle
 * finishes in a later turn of the event loop, so a few turns are allowed, then a short poll.
 */
export async function settleHandles (baseline: number): Promise<string[]> {
  for (let i = 0; i < 20 && socketHandles().length > baseline; i++) await new Promise(resolve => setImmediate(resolve))
  for (let i = 0; i < 200 && socketHandles().length > baseline; i++) await sleep(10)
  return socketHandles()
}

/**
 * The socket handle count once handles closed by earlier tests have finished closing (the count
 * is unchanged over a few short waits; bounded to about a second). Use it as a baseline.
 */
export async function quietHandleCount (): Promise<number> {
  let last = socketHandles().length
  for (let i = 0, same = 0; i < 100 && same < 3; i++) {
    await sleep(10)
    const now = socketHandles().length
    same = now === last ? same + 1 : 0
    last = now
  }
  return last
}
