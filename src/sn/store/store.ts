// The SN's persistent state in one node:sqlite file (WAL, foreign keys on). Plain SQL behind named
// methods; the registry keeps its in-memory indexes and calls these inside `tx()` so a change that
// touches several rows lands whole or not at all.
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import { MIGRATIONS } from './schema.ts'
import { SN_ERR_STORE_VERSION } from '../errors.ts'

export interface ZoneRow { name: string, owner: string, created: number, active: number, version: number }
export interface DeviceRow { zone: string, name: string, did: string }
export interface ReportRow { did: string, addrs: string, observed: string | null, direct: number, reported_at: number }
export interface TxtRow { zone: string | null, name: string, value: string, created: number }
export interface InviteRow { code: string, uses: number, used: number, closed: number, expires_at: number | null, note: string | null }
export interface DenyRow { kind: string, id: string }
export interface DomainRow { zone: string, domain: string, challenge: string, verified: number, created: number }

export interface StoreSnapshot {
  zones: ZoneRow[], devices: DeviceRow[], reports: ReportRow[], txt: TxtRow[], deny: DenyRow[], domains: DomainRow[]
}

export class SnStore {
  readonly file: string
  #db: DatabaseSync
  #statements = new Map<string, StatementSync>()
  #depth = 0

  constructor (file: string) {
    this.file = file
    this.#db = new DatabaseSync(file)
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;')
    this.#migrate()
  }

  #migrate (): void {
    const row = this.#db.prepare('PRAGMA user_version').get() as { user_version: number }
    const current = row.user_version
    if (current > MIGRATIONS.length) {
      this.#db.close()
      throw new SN_ERR_STORE_VERSION(this.file, current, MIGRATIONS.length)
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.tx(() => {
        this.#db.exec(MIGRATIONS[v])
        this.#db.exec(`PRAGMA user_version = ${v + 1}`)
      })
    }
  }

  // Statements are prepared once and reused: the API calls the same few on every request.
  #q (sql: string): StatementSync {
    let s = this.#statements.get(sql)
    if (s === undefined) {
      s = this.#db.prepare(sql)
      this.#statements.set(sql, s)
    }
    return s
  }

  /** Runs fn in one transaction (nested calls join the outer one). */
  tx<T> (fn: () => T): T {
    if (this.#depth > 0) return fn()
    this.#db.exec('BEGIN IMMEDIATE')
    this.#depth++
    try {
      const result = fn()
      this.#db.exec('COMMIT')
      return result
    } catch (err) {
      this.#db.exec('ROLLBACK')
      throw err
    } finally {
      this.#depth--
    }
  }

  snapshot (): StoreSnapshot {
    return {
      zones: this.#q('SELECT * FROM zones').all() as unknown as ZoneRow[],
      devices: this.#q('SELECT * FROM devices').all() as unknown as DeviceRow[],
      reports: this.#q('SELECT * FROM reports').all() as unknown as ReportRow[],
      txt: this.#q('SELECT * FROM txt').all() as unknown as TxtRow[],
      deny: this.#q('SELECT * FROM denylist').all() as unknown as DenyRow[],
      domains: this.#q('SELECT * FROM domains').all() as unknown as DomainRow[]
    }
  }

  // zones and devices
  insertZone (name: string, owner: string, created: number): void {
    this.#q('INSERT INTO zones (name, owner, created) VALUES (?, ?, ?)').run(name, owner, created)
  }

  setZoneActive (name: string, active: boolean): void {
    this.#q('UPDATE zones SET active = ? WHERE name = ?').run(active ? 1 : 0, name)
  }

  /** Replaces the zone's device list; reports of devices that left it go with them. */
  replaceDevices (zone: string, version: number, devices: Array<{ name: string, did: string }>, removedDids: string[]): void {
    this.#q('UPDATE zones SET version = ? WHERE name = ?').run(version, zone)
    this.#q('DELETE FROM devices WHERE zone = ?').run(zone)
    const insert = this.#q('INSERT INTO devices (zone, name, did) VALUES (?, ?, ?)')
    for (const d of devices) insert.run(zone, d.name, d.did)
    const drop = this.#q('DELETE FROM reports WHERE did = ?')
    for (const did of removedDids) drop.run(did)
  }

  upsertReport (r: ReportRow): void {
    this.#q(`INSERT INTO reports (did, addrs, observed, direct, reported_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (did) DO UPDATE SET addrs = excluded.addrs, observed = excluded.observed,
      direct = excluded.direct, reported_at = excluded.reported_at`).run(r.did, r.addrs, r.observed, r.direct, r.reported_at)
  }

  deleteReportsBefore (cutoff: number): number {
    return Number(this.#q('DELETE FROM reports WHERE reported_at < ?').run(cutoff).changes)
  }

  // TXT
  insertTxt (zone: string | null, name: string, value: string, created: number): boolean {
    return Number(this.#q('INSERT OR IGNORE INTO txt (zone, name, value, created) VALUES (?, ?, ?, ?)').run(zone, name, value, created).changes) > 0
  }

  deleteTxt (name: string, value: string): boolean {
    return Number(this.#q('DELETE FROM txt WHERE name = ? AND value = ?').run(name, value).changes) > 0
  }

  // invites
  insertInvite (row: InviteRow): void {
    this.#q('INSERT INTO invites (code, uses, used, closed, expires_at, note) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.code, row.uses, row.used, row.closed, row.expires_at, row.note)
  }

  invite (code: string): InviteRow | undefined {
    return this.#q('SELECT * FROM invites WHERE code = ?').get(code) as unknown as InviteRow | undefined
  }

  invites (): InviteRow[] {
    return this.#q('SELECT * FROM invites ORDER BY rowid').all() as unknown as InviteRow[]
  }

  useInvite (code: string): void {
    this.#q('UPDATE invites SET used = used + 1 WHERE code = ?').run(code)
  }

  closeInvite (code: string): boolean {
    return Number(this.#q('UPDATE invites SET closed = 1 WHERE code = ? AND closed = 0').run(code).changes) > 0
  }

  // denylist
  deny (kind: string, id: string): void {
    this.#q('INSERT OR IGNORE INTO denylist (kind, id) VALUES (?, ?)').run(kind, id)
  }

  allow (kind: string, id: string): void {
    this.#q('DELETE FROM denylist WHERE kind = ? AND id = ?').run(kind, id)
  }

  // custom domains
  upsertDomain (zone: string, domain: string, challenge: string, created: number): void {
    this.#q(`INSERT INTO domains (zone, domain, challenge, verified, created) VALUES (?, ?, ?, 0, ?)
      ON CONFLICT (zone, domain) DO UPDATE SET challenge = excluded.challenge`).run(zone, domain, challenge, created)
  }

  setDomainVerified (zone: string, domain: string): void {
    this.#q('UPDATE domains SET verified = 1 WHERE zone = ? AND domain = ?').run(zone, domain)
  }

  // settings and kv (the ACME state store)
  setting (key: string): string | undefined {
    return (this.#q('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value
  }

  setSetting (key: string, value: string): void {
    this.#q('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value)
  }

  kvGet (key: string): string | undefined {
    return (this.#q('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined)?.value
  }

  kvSet (key: string, value: string): void {
    this.#q('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value)
  }

  kvDelete (key: string): void {
    this.#q('DELETE FROM kv WHERE key = ?').run(key)
  }

  close (): void {
    if (this.#db.isOpen) this.#db.close()
  }
}
