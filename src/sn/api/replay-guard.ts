// Remembers the ids (jti) of device tokens until they expire, so each token works once. Bounded:
// when full after dropping expired ids, new tokens are refused rather than old ids forgotten
// (forgetting one would reopen a replay window).
export class ReplayGuard {
  #seen = new Map<string, number>()
  #max: number

  constructor (max = 100_000) {
    this.#max = max
  }

  /** Records `key` until `expiresAt`; 'replayed' if seen and unexpired, 'full' when no room. */
  use (key: string, expiresAt: number, now: number): 'ok' | 'replayed' | 'full' {
    const known = this.#seen.get(key)
    if (known !== undefined && known > now) return 'replayed'
    if (this.#seen.size >= this.#max) this.#sweep(now)
    if (this.#seen.size >= this.#max) return 'full'
    this.#seen.set(key, expiresAt)
    return 'ok'
  }

  #sweep (now: number): void {
    for (const [key, exp] of this.#seen) if (exp <= now) this.#seen.delete(key)
  }

  get size (): number { return this.#seen.size }
}
