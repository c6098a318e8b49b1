// A token bucket: `rate` tokens a second, holding at most `burst`. Used for stream-open rates.
export class TokenBucket {
  #tokens: number
  #last: number
  readonly rate: number
  readonly burst: number
  readonly #now: () => number

  constructor (rate: number, burst = rate, now: () => number = () => performance.now()) {
    this.rate = rate
    this.burst = burst
    this.#tokens = burst
    this.#now = now
    this.#last = now()
  }

  take (n = 1): boolean {
    const t = this.#now()
    this.#tokens = Math.min(this.burst, this.#tokens + (t - this.#last) * this.rate / 1000)
    this.#last = t
    if (this.#tokens < n) return false
    this.#tokens -= n
    return true
  }
}
