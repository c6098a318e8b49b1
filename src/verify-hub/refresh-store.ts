// Where refresh-token state lives. Tokens are never stored: only their SHA-256 (they are 256-bit
// random strings, so a plain hash is enough and a leaked table cannot be replayed). Each login
// starts a *family*; every refresh marks the presented token used and adds its successor to the
// same family. A used token presented again means two parties hold the chain (one of them stole
// it), so the hub revokes the whole family (the standard refresh-token-reuse detection).
//
// The interface allows synchronous or asynchronous implementations: the in-memory one below, or
// one over node:sqlite / system-config that the lead may add.

export interface RefreshRecord {
  /** Random id shared by every token one login produced (also the session tokens' `sid`). */
  family: string
  /** User id the tokens act for. */
  user: string
  /** did:dev that signed the login JWT: re-checked against `trust` on every refresh. */
  signer: string
  app?: string
  /** Milliseconds since the epoch. */
  expiresAt: number
  used: boolean
}

type MaybePromise<T> = T | Promise<T>

export interface RefreshStore {
  get (hash: string): MaybePromise<RefreshRecord | undefined>
  put (hash: string, record: RefreshRecord): MaybePromise<void>
  /** Unused → used. True only for the one call that made the change (two racing refreshes cannot both win). */
  markUsed (hash: string): MaybePromise<boolean>
  /** Drops every token of the family; how many there were. */
  revokeFamily (family: string): MaybePromise<number>
  /** Drops records expired at `now`; how many. */
  prune (now: number): MaybePromise<number>
}

export const DEFAULT_MAX_REFRESH_RECORDS = 100_000

/**
 * In-memory store, bounded: past `maxRecords` the least recently used record goes (its login then
 * has to start over; a used record that goes only loses reuse detection for that one token).
 */
export function createMemoryRefreshStore (options: { maxRecords?: number } = {}): RefreshStore & { readonly size: number } {
  const max = options.maxRecords ?? DEFAULT_MAX_REFRESH_RECORDS
  // Map order is insertion order: re-inserting on access keeps the least recently used first.
  const records = new Map<string, RefreshRecord>()
  const families = new Map<string, Set<string>>()

  function drop (hash: string): void {
    const record = records.get(hash)
    if (record === undefined) return
    records.delete(hash)
    const members = families.get(record.family)
    members?.delete(hash)
    if (members?.size === 0) families.delete(record.family)
  }

  return {
    get size () { return records.size },
    get (hash) {
      const record = records.get(hash)
      if (record === undefined) return undefined
      records.delete(hash)
      records.set(hash, record)
      return { ...record }
    },
    put (hash, record) {
      drop(hash)
      records.set(hash, { ...record })
      let members = families.get(record.family)
      if (members === undefined) families.set(record.family, members = new Set())
      members.add(hash)
      while (records.size > max) drop(records.keys().next().value as string)
    },
    markUsed (hash) {
      const record = records.get(hash)
      if (record === undefined || record.used) return false
      record.used = true
      return true
    },
    revokeFamily (family) {
      const members = families.get(family)
      if (members === undefined) return 0
      const n = members.size
      for (const hash of [...members]) drop(hash)
      return n
    },
    prune (now) {
      let n = 0
      for (const [hash, record] of records) {
        if (record.expiresAt <= now) { drop(hash); n++ }
      }
      return n
    }
  }
}
