// Retry delays after failed orders: exponential from 1 minute, capped at 6 hours, with up to 25%
// added jitter so many gateways that failed together (a CA outage) do not retry together.
export const BACKOFF_MIN_MS = 60_000
export const BACKOFF_MAX_MS = 6 * 3600_000

export interface Backoff { failures: number, nextAttemptAt: number }

export function nextBackoff (failures: number, now: number, random: () => number = Math.random): Backoff {
  const n = Math.max(1, failures)
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(n - 1, 30))
  const delay = Math.min(BACKOFF_MAX_MS, base + Math.floor(random() * base * 0.25))
  return { failures: n, nextAttemptAt: now + delay }
}

/** Persisted as JSON; anything unreadable counts as no backoff rather than blocking forever. */
export function parseBackoff (text: string | undefined): Backoff | undefined {
  if (text === undefined) return undefined
  try {
    const v = JSON.parse(text) as Partial<Backoff> & { lastError?: unknown }
    if (typeof v.failures === 'number' && typeof v.nextAttemptAt === 'number' && Number.isFinite(v.nextAttemptAt)) {
      return { failures: v.failures, nextAttemptAt: v.nextAttemptAt }
    }
  } catch {}
  return undefined
}
