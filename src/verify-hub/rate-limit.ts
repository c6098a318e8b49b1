// Failed-login limiter: one token bucket per client address. A failure takes a token; an address
// whose bucket is empty is refused before its request is even looked at, so guessing costs the
// guesser time, not us CPU. The map is bounded: when full, addresses whose buckets have refilled
// (they carry no information) go first, then the least recently seen.

export interface RateLimiterOptions {
  /** Failures allowed in a burst. Default 10. */
  burst?: number
  /** Tokens regained per second. Default 0.2 (one every 5 s). */
  refillPerSecond?: number
  /** Addresses tracked at most. Default 10 000. */
  maxKeys?: number
  /** Clock in milliseconds (tests). */
  now?: () => number
}

export interface RateLimiter {
  /** True while `key` may still try (its bucket holds at least one token). */
  allowed (key: string): boolean
  /** Take one token from `key`'s bucket (a failed attempt). */
  fail (key: string): void
  /** Seconds until `key` may try again (0 when it may now). */
  retryAfter (key: string): number
  readonly size: number
}

interface Bucket { tokens: number, at: number }

export function createRateLimiter (options: RateLimiterOptions = {}): RateLimiter {
  const burst = options.burst ?? 10
  const rate = options.refillPerSecond ?? 0.2
  const maxKeys = options.maxKeys ?? 10_000
  const now = options.now ?? Date.now
  const buckets = new Map<string, Bucket>()

  function level (bucket: Bucket, t: number): number {
    return Math.min(burst, bucket.tokens + Math.max(0, t - bucket.at) / 1000 * rate)
  }

  function evict (t: number): void {
    for (const [key, bucket] of buckets) {
      if (level(bucket, t) >= burst) buckets.delete(key)
    }
    // Down to 90 % so that a flood of new addresses pays for this scan once per many of them.
    const target = Math.floor(maxKeys * 0.9)
    while (buckets.size > target) buckets.delete(buckets.keys().next().value as string)
  }

  return {
    get size () { return buckets.size },
    allowed (key) {
      const bucket = buckets.get(key)
      return bucket === undefined || level(bucket, now()) >= 1
    },
    fail (key) {
      const t = now()
      const bucket = buckets.get(key)
      const tokens = bucket === undefined ? burst : level(bucket, t)
      if (bucket === undefined && buckets.size >= maxKeys) evict(t)
      buckets.delete(key)
      buckets.set(key, { tokens: Math.max(0, tokens - 1), at: t })
    },
    retryAfter (key) {
      const bucket = buckets.get(key)
      if (bucket === undefined) return 0
      const missing = 1 - level(bucket, now())
      return missing <= 0 ? 0 : Math.ceil(missing / rate)
    }
  }
}
