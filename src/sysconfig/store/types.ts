// The system-config key-value store interface (SPEC section 8). Two backends implement it:
// sqlite.ts (embedded, one file) and etcd.ts (etcd3 client). Revisions are store-wide and
// monotonic: every write, and every transaction as a whole, yields one new revision.

export interface KvEntry { key: string, value: string, revision: number }

export type TxAction =
  | { op: 'set', key: string, value: string } | { op: 'create', key: string, value: string }
  | { op: 'delete', key: string } | { op: 'append', key: string, value: string }

export interface WatchEvent { type: 'put' | 'delete', key: string, value?: string, revision: number }

export interface WatchOptions { timeoutMs: number, signal?: AbortSignal, limit?: number }

export interface KvStore {
  get (key: string): Promise<KvEntry | undefined>
  /** → new revision (store-wide, monotonic). */
  set (key: string, value: string): Promise<number>
  /** SYSCFG_ERR_EXISTS when present. */
  create (key: string, value: string): Promise<number>
  /** undefined when absent. */
  delete (key: string): Promise<number | undefined>
  /** String concatenation; creates when absent. */
  append (key: string, value: string): Promise<number>
  /** Names of DIRECT children of prefix ("a/" → ["b","c"]). */
  list (prefix: string): Promise<string[]>
  /** value is JSON; path like "$.a.b[0]" or "/a/b/0". */
  setByJsonPath (key: string, path: string, value: unknown): Promise<number>
  /** compare.revision 0 = the key must not exist. */
  tx (actions: TxAction[], compare?: { key: string, revision: number }): Promise<{ ok: boolean, revision: number }>
  /**
   * Changes under prefix with revision > fromRevision, in order; waits up to timeoutMs for the first one.
   * Throws SYSCFG_ERR_COMPACTED (with the oldest revision available) when fromRevision is older than history kept.
   */
  watch (prefix: string, fromRevision: number, options: WatchOptions): Promise<{ events: WatchEvent[], revision: number }>
  revision (): Promise<number>
  close (): Promise<void>
}
