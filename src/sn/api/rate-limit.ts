// Token buckets keyed by client address or zone, in a bounded map: the least recently used key
// is evicted when the map is full, so a flood of distinct keys costs memory only up to maxKeys.
export interface RateLimitInit {
  /** Requests allowed in a burst, refilled evenly over `perMs`. */
  capacity: number
  perMs: number
  maxKeys?: number
}

interface Bucket { tokens: number, at: number }

export class RateLimiter {
  #capacity: number
  #ratePerMs: number
  #maxKeys: number
  #buckets = new Map<string, Bucket>()

  constructor (init: RateLimitInit) {
    this.#capacity = init.capacity
    this.#ratePerMs = init.capacity / init.perMs
    this.#maxKeys = init.maxKeys ?? 10_000
  }

  /** Takes one token; answers 0 when allowed, else the ms until a token is available. */
  take (key: string, now: number): number {
    let b = this.#buckets.get(key)
    if (b === undefined) {
      b = { tokens: this.#capacity, at: now }
    } else {
      this.#buckets.delete(key)
      b.tokens = Math.min(this.#capacity, b.tokens + Math.max(0, now - b.at) * this.#ratePerMs)
      b.at = now
    }
    this.#buckets.set(key, b)
    if (this.#buckets.size > this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value as string)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.ceil((1 - b.tokens) / this.#ratePerMs)
  }

  get size (): number { return this.#buckets.size }
}
