// The system-config store: the KvStore interface and its two backends.
export type { KvEntry, KvStore, TxAction, WatchEvent, WatchOptions } from './types.ts'
export { openSqliteStore, type SqliteStoreInit } from './sqlite.ts'
export { openEtcdStore, type EtcdStoreInit } from './etcd.ts'
export { MAX_KEY_BYTES, MAX_VALUE_BYTES, DEFAULT_WATCH_LIMIT } from './limits.ts'
export { MAX_TX_ACTIONS } from './plan.ts'
