// A bounded set of ids, each remembered until its own deadline. The hub keeps two: the jtis of
// used login JWTs (single use) and the revoked logins whose session tokens must stop verifying.
// When full even after dropping the expired ids, `add` either refuses (the caller answers "busy":
// forgetting a live jti would allow a replay) or forgets the oldest id (a forgotten revocation
// only lets a session token live out its short ttl, as a gateway's local check would anyway).

export interface ExpiringSet {
  /** True while `id` is held (its deadline not reached). */
  has (id: string): boolean
  /** Remember `id` until `untilMs`; false when full and refusing. */
  add (id: string, untilMs: number): boolean
  readonly size: number
}

export function createExpiringSet (options: { maxEntries?: number, whenFull: 'refuse' | 'evict', now?: () => number }): ExpiringSet {
  const max = options.maxEntries ?? 100_000
  const now = options.now ?? Date.now
  const ids = new Map<string, number>()

  return {
    get size () { return ids.size },
    has (id) {
      const until = ids.get(id)
      if (until === undefined) return false
      if (until > now()) return true
      ids.delete(id)
      return false
    },
    add (id, untilMs) {
      if (!ids.has(id) && ids.size >= max) {
        const t = now()
        for (const [k, until] of ids) if (until <= t) ids.delete(k)
        if (ids.size >= max) {
          if (options.whenFull === 'refuse') return false
          ids.delete(ids.keys().next().value as string)
        }
      }
      ids.set(id, Math.max(untilMs, ids.get(id) ?? 0))
      return true
    }
  }
}
