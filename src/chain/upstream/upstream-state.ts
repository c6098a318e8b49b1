// What the group knows about one upstream: passive health (consecutive failures, cooldown),
// load (active streams) and speed (EWMA of time-to-first-byte, else of connect time).
//
// Health follows nginx's max_fails/fail_timeout: after `failures` consecutive failures the
// upstream is skipped for `cooldownMs`. When the cooldown ends the count is kept, so the first
// failure after it marks the upstream down again at once, while one success clears it.

/** Weight of a new sample in the moving averages: recent behaviour counts, one outlier does not rule. */
const EWMA_ALPHA = 0.3

function ewma (previous: number | undefined, sample: number): number {
  return previous === undefined ? sample : previous + EWMA_ALPHA * (sample - previous)
}

export interface HealthSpec { failures: number, cooldownMs: number }

export class UpstreamState {
  readonly url: string
  readonly weight: number
  readonly index: number
  /** Consecutive failures since the last success. */
  failures = 0
  /** Clock value until which the upstream is skipped (meaningful once failures ≥ the threshold). */
  downUntil = 0
  /** Streams opened (or being opened) to this upstream and not closed yet. */
  active = 0
  /** Smooth weighted round robin's running weight (nginx `current_weight`). */
  currentWeight = 0
  #firstByteEwma: number | undefined
  #connectEwma: number | undefined

  constructor (url: string, weight: number, index: number) {
    this.url = url
    // Weights are validated by the config loader; a zero or negative one would never be picked
    // by the weighted balancers, so clamp rather than starve the upstream silently.
    this.weight = Number.isFinite(weight) && weight > 0 ? weight : 1
    this.index = index
  }

  healthy (now: number, health: HealthSpec): boolean {
    return this.failures < Math.max(1, health.failures) || now >= this.downUntil
  }

  /** Count a failure; true when this failure marked the upstream down. */
  recordFailure (now: number, health: HealthSpec): boolean {
    this.failures++
    if (this.failures < Math.max(1, health.failures)) return false
    this.downUntil = now + health.cooldownMs
    return true
  }

  recordSuccess (firstByteMs?: number): void {
    this.failures = 0
    this.downUntil = 0
    if (firstByteMs !== undefined && Number.isFinite(firstByteMs) && firstByteMs >= 0) {
      this.#firstByteEwma = ewma(this.#firstByteEwma, firstByteMs)
    }
  }

  recordConnectTime (ms: number): void {
    this.#connectEwma = ewma(this.#connectEwma, ms)
  }

  /** The speed least_time compares: first-byte time when reported, else connect time. */
  get ewmaMs (): number | undefined {
    return this.#firstByteEwma ?? this.#connectEwma
  }
}
