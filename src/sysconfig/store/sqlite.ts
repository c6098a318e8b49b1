// The embedded system-config store: one node:sqlite file (WAL, synchronous=FULL). `kv` holds the
// current values, `history` the changes watches are served from, trimmed to the newest
// `historyLimit` rows at a revision boundary; `meta` holds the store revision and the oldest
// revision a watch may start from. A write is one BEGIN IMMEDIATE … COMMIT, so a crash leaves it
// either whole or absent. Waiting watches are woken at once by writes through this store, and
// within foreignPollMs by commits of other connections or processes to the same file.
import { EventEmitter } from 'node:events'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import type { KvEntry, KvStore, TxAction, WatchEvent, WatchOptions } from './types.ts'
import { GatewayError } from '../../core/errors.ts'
import {
  SYSCFG_ERR_BACKEND, SYSCFG_ERR_CLOSED, SYSCFG_ERR_COMPACTED, SYSCFG_ERR_TOO_MANY_WATCHES
} from '../errors.ts'
import { checkKey, checkPrefix, checkRevision, DEFAULT_WATCH_LIMIT, directChildren, listPrefix } from './limits.ts'
import { keysOf, plan, type Compare, type Current, type PlanAction } from './plan.ts'
import { clampTimeout, waitForChange } from './wait.ts'

export interface SqliteStoreInit {
  file: string
  /** History rows kept for watches (default 10 000). */
  historyLimit?: number
  /** Watches waiting at once (default 1024); one more gets SYSCFG_ERR_TOO_MANY_WATCHES. */
  maxWatches?: number
  /**
   * While watches wait, how often to look for commits by other connections to the same file
   * (`PRAGMA data_version`, a cheap counter read); default 250 ms, 0 turns it off.
   */
  foreignPollMs?: number
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL,
  create_revision INTEGER NOT NULL, mod_revision INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY, revision INTEGER NOT NULL,
  key TEXT NOT NULL, type TEXT NOT NULL, value TEXT);
CREATE INDEX IF NOT EXISTS history_revision ON history (revision);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0);
`

// Exclusive upper bound of the keys starting with prefix: its UTF-8 bytes then 0xFF, a byte no
// UTF-8 text contains. CAST keeps it TEXT so it compares with the TEXT keys (and uses the index).
const RANGE = 'key >= ? AND key < CAST(? AS TEXT)'
function upperBound (prefix: string): Uint8Array {
  return Buffer.concat([Buffer.from(prefix), Buffer.from([0xff])])
}

export function openSqliteStore (init: SqliteStoreInit): KvStore {
  return new SqliteStore(init)
}

class SqliteStore implements KvStore {
  #db: DatabaseSync
  #q: Record<string, StatementSync>
  #historyLimit: number
  #maxWatches: number
  #waiting = 0
  #closed = false
  #changes = new EventEmitter()
  #foreignPollMs: number
  #poll: NodeJS.Timeout | undefined
  #dataVersion = 0

  constructor (init: SqliteStoreInit) {
    this.#historyLimit = Math.max(1, init.historyLimit ?? 10_000)
    this.#maxWatches = init.maxWatches ?? 1024
    this.#foreignPollMs = init.foreignPollMs ?? 250
    this.#changes.setMaxListeners(0)
    this.#db = new DatabaseSync(init.file)
    try {
      this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;')
      this.#db.exec(`BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`)
    } catch (err) {
      this.#db.close()
      throw new SYSCFG_ERR_BACKEND(`cannot open ${init.file}: ${(err as Error).message}`, { cause: err })
    }
    const p = (sql: string): StatementSync => this.#db.prepare(sql)
    this.#q = {
      get: p('SELECT value, create_revision AS createRevision, mod_revision AS modRevision FROM kv WHERE key = ?'),
      upsert: p(`INSERT INTO kv (key, value, create_revision, mod_revision) VALUES (?1, ?2, ?3, ?3)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, mod_revision = excluded.mod_revision`),
      remove: p('DELETE FROM kv WHERE key = ?'),
      record: p('INSERT INTO history (revision, key, type, value) VALUES (?, ?, ?, ?)'),
      meta: p('SELECT value FROM meta WHERE name = ?'),
      setMeta: p('UPDATE meta SET value = ? WHERE name = ?'),
      dataVersion: p('PRAGMA data_version'),
      trimTo: p('SELECT max(revision) AS revision FROM history WHERE seq <= ?'),
      trim: p('DELETE FROM history WHERE revision <= ?'),
      listAll: p('SELECT key FROM kv'),
      listRange: p(`SELECT key FROM kv WHERE ${RANGE}`),
      events: p(`SELECT revision, key, type, value FROM history
        WHERE revision > ? AND revision <= ? AND substr(key, 1, length(?3)) = ?3 ORDER BY seq LIMIT ?`),
      eventsAt: p(`SELECT revision, key, type, value FROM history
        WHERE revision = ? AND substr(key, 1, length(?2)) = ?2 ORDER BY seq`)
    }
  }

  async get (key: string): Promise<KvEntry | undefined> {
    checkKey(key)
    const row = this.#run(() => this.#q.get.get(key)) as Current | undefined
    return row === undefined ? undefined : { key, value: row.value, revision: row.modRevision }
  }

  async set (key: string, value: string): Promise<number> {
    return this.#write([{ op: 'set', key, value }]).revision
  }

  async create (key: string, value: string): Promise<number> {
    return this.#write([{ op: 'create', key, value }]).revision
  }

  async delete (key: string): Promise<number | undefined> {
    const result = this.#write([{ op: 'delete', key }])
    return result.changed ? result.revision : undefined
  }

  async append (key: string, value: string): Promise<number> {
    return this.#write([{ op: 'append', key, value }]).revision
  }

  async setByJsonPath (key: string, path: string, value: unknown): Promise<number> {
    return this.#write([{ op: 'json', key, path, value }]).revision
  }

  async tx (actions: TxAction[], compare?: Compare): Promise<{ ok: boolean, revision: number }> {
    const { ok, revision } = this.#write(actions, compare)
    return { ok, revision }
  }

  async list (prefix: string): Promise<string[]> {
    checkPrefix(prefix)
    const dir = listPrefix(prefix)
    const rows = this.#run(() => dir === '' ? this.#q.listAll.all() : this.#q.listRange.all(dir, upperBound(dir))) as Array<{ key: string }>
    return directChildren(dir, rows.map(r => r.key))
  }

  async revision (): Promise<number> {
    return this.#run(() => this.#meta('revision'))
  }

  async watch (prefix: string, fromRevision: number, options: WatchOptions): Promise<{ events: WatchEvent[], revision: number }> {
    checkPrefix(prefix)
    checkRevision(fromRevision, 'fromRevision')
    const limit = Math.max(1, Math.floor(options?.limit ?? DEFAULT_WATCH_LIMIT))
    const first = this.#read(prefix, fromRevision, limit)
    if (first.events.length > 0 || !(clampTimeout(options?.timeoutMs) > 0)) return first
    if (this.#waiting >= this.#maxWatches) throw new SYSCFG_ERR_TOO_MANY_WATCHES(this.#maxWatches)
    const deadline = Date.now() + clampTimeout(options.timeoutMs)
    if (this.#waiting++ === 0) this.#startPoll()
    try {
      for (;;) {
        const left = deadline - Date.now()
        if (left <= 0) break
        const woke = await waitForChange(wake => {
          this.#changes.once('change', wake)
          return () => this.#changes.off('change', wake)
        }, left, options?.signal)
        if (this.#closed) throw new SYSCFG_ERR_CLOSED()
        if (woke === 'timeout') break
        const next = this.#read(prefix, fromRevision, limit)
        if (next.events.length > 0) return next
      }
    } finally {
      if (--this.#waiting === 0) this.#stopPoll()
    }
    return this.#read(prefix, fromRevision, limit)
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stopPoll()
    this.#changes.emit('change')
    this.#db.close()
  }

  /** Events after fromRevision up to the current revision; a revision is never split by the limit. */
  #read (prefix: string, fromRevision: number, limit: number): { events: WatchEvent[], revision: number } {
    return this.#run(() => {
      const current = this.#meta('revision')
      const oldest = this.#meta('compacted')
      if (fromRevision < oldest) throw new SYSCFG_ERR_COMPACTED(fromRevision, oldest)
      const rows = this.#q.events.all(fromRevision, current, prefix, limit + 1) as unknown as EventRow[]
      if (rows.length <= limit) return { events: rows.map(toEvent), revision: current }
      rows.length = limit
      const last = rows[limit - 1].revision
      const rest = (this.#q.eventsAt.all(last, prefix) as unknown as EventRow[]).slice(rows.filter(r => r.revision === last).length)
      return { events: [...rows, ...rest].map(toEvent), revision: last }
    })
  }

  #write (actions: PlanAction[], compare?: Compare): { ok: boolean, revision: number, changed: boolean } {
    const keys = keysOf(actions, compare)
    const result = this.#run(() => {
      this.#db.exec('BEGIN IMMEDIATE')
      try {
        const snapshot = new Map(keys.map(key => [key, this.#q.get.get(key) as Current | undefined]))
        const { ok, changes } = plan(actions, snapshot, compare)
        let revision = this.#meta('revision')
        if (ok && changes.size > 0) {
          revision++
          let seq = 0
          for (const [key, change] of changes) {
            if (change.type === 'put') this.#q.upsert.run(key, change.value, revision)
            else this.#q.remove.run(key)
            seq = Number(this.#q.record.run(revision, key, change.type, change.type === 'put' ? change.value : null).lastInsertRowid)
          }
          this.#q.setMeta.run(revision, 'revision')
          this.#trim(seq)
        }
        this.#db.exec('COMMIT')
        return { ok, revision, changed: ok && changes.size > 0 }
      } catch (err) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK')
        throw err
      }
    })
    if (result.changed) this.#changes.emit('change')
    return result
  }

  /** data_version changes when another connection commits; our own commits emit directly. */
  #startPoll (): void {
    if (this.#foreignPollMs <= 0) return
    this.#dataVersion = this.#version()
    this.#poll = setInterval(() => {
      const v = this.#closed ? this.#dataVersion : this.#version()
      if (v !== this.#dataVersion) {
        this.#dataVersion = v
        this.#changes.emit('change')
      }
    }, this.#foreignPollMs)
    this.#poll.unref()
  }

  #stopPoll (): void {
    clearInterval(this.#poll)
    this.#poll = undefined
  }

  #version (): number {
    try {
      return (this.#q.dataVersion.get() as { data_version: number }).data_version
    } catch {
      return this.#dataVersion // a failing read shows up in the watch's own query
    }
  }

  /** Keeps at most historyLimit rows, dropping whole revisions from the oldest. */
  #trim (lastSeq: number): void {
    const cut = lastSeq - this.#historyLimit
    if (cut <= 0) return
    const row = this.#q.trimTo.get(cut) as { revision: number | null }
    if (row.revision === null) return
    this.#q.trim.run(row.revision)
    this.#q.setMeta.run(row.revision, 'compacted')
  }

  #meta (name: string): number {
    return (this.#q.meta.get(name) as { value: number }).value
  }

  /** Runs a database step; our coded errors pass, sqlite's are wrapped. */
  #run<T> (fn: () => T): T {
    if (this.#closed) throw new SYSCFG_ERR_CLOSED()
    try {
      return fn()
    } catch (err) {
      if (err instanceof GatewayError) throw err
      throw new SYSCFG_ERR_BACKEND((err as Error).message, { cause: err })
    }
  }
}

interface EventRow { revision: number, key: string, type: 'put' | 'delete', value: string | null }

function toEvent (row: EventRow): WatchEvent {
  return row.type === 'put'
    ? { type: 'put', key: row.key, value: row.value ?? '', revision: row.revision }
    : { type: 'delete', key: row.key, revision: row.revision }
}
