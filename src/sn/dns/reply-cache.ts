// Replies by the exact bytes of their query (everything after the ID: flags, the question in the
// asker's case, EDNS), for an authority that says when its data changed (DnsAuthority.version).
// A hit is a copy of the stored reply with the new ID: no decode, no lookup, no encode — the
// dns2 codec is most of a query's cost. Bounded; the oldest entry goes first.
export interface CachedReply { buf: Buffer, rcode: string, truncated: boolean }

/** Queries longer than this are not kept (real ones are far shorter). */
const MAX_KEY_BYTES = 512

export class ReplyCache {
  readonly #max: number
  #version: number | undefined
  readonly #map = new Map<string, CachedReply>()

  constructor (max = 10_000) {
    this.#max = max
  }

  /** The key of a query, or undefined when it is not cacheable. */
  key (msg: Buffer, transport: string): string | undefined {
    if (msg.length > MAX_KEY_BYTES || msg.length < 12) return undefined
    return transport + msg.toString('latin1', 2)
  }

  get (key: string, version: number): CachedReply | undefined {
    if (version !== this.#version) {
      this.#map.clear()
      this.#version = version
      return undefined
    }
    return this.#map.get(key)
  }

  set (key: string, version: number, reply: CachedReply): void {
    if (version !== this.#version) return
    if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value as string)
    this.#map.set(key, reply)
  }
}

/** A stored reply for a new query: the same bytes under the query's ID. */
export function withId (reply: Buffer, query: Buffer): Buffer {
  const out = Buffer.from(reply)
  out[0] = query[0]
  out[1] = query[1]
  return out
}
