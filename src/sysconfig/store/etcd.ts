// The system-config store over etcd (etcd3 client). Revisions are etcd's own: an entry's revision
// is its mod_revision, the store revision is the cluster's. Writes that read first (append,
// setByJsonPath, tx) are planned on a snapshot (plan.ts) and committed by one etcd Txn that
// compares every touched key's mod_revision (create_revision 0 for absent keys), retried when
// another writer got there first. Every key lives under `prefix`, so tests can share one etcd.
// Limits: etcd refuses a Txn touching more than --max-txn-ops keys (128 by default).
import { Etcd3, type IKeyValue, type IWatchResponse, type Watcher } from 'etcd3'
import type { KvEntry, KvStore, TxAction, WatchEvent, WatchOptions } from './types.ts'
import { GatewayError } from '../../core/errors.ts'
import {
  SYSCFG_ERR_BACKEND, SYSCFG_ERR_BAD_TX, SYSCFG_ERR_CLOSED, SYSCFG_ERR_COMPACTED, SYSCFG_ERR_CONFLICT, SYSCFG_ERR_EXISTS,
  SYSCFG_ERR_TOO_MANY_WATCHES
} from '../errors.ts'
import { checkKey, checkPrefix, checkRevision, checkValue, DEFAULT_WATCH_LIMIT, directChildren, listPrefix } from './limits.ts'
import { keysOf, plan, type Compare, type Current, type PlanAction } from './plan.ts'
import { clampTimeout, waitForChange } from './wait.ts'
import { cutAtRevision } from './cut.ts'

export interface EtcdStoreInit {
  endpoints: string[]
  /** Prepended to every key (e.g. "zonegate/"); events and lists show keys without it. */
  prefix?: string
  /** Watches waiting at once (default 1024). */
  maxWatches?: number
  /** Attempts of an optimistic write before SYSCFG_ERR_CONFLICT (default 20). */
  maxAttempts?: number
  /** The server's --max-txn-ops (etcd's default 128): a tx touching more keys is refused up front. */
  maxTxnOps?: number
}

/**
 * How long a watch from an older revision waits for etcd to replay history before it may answer
 * "nothing": etcd sends the backlog of a new watcher from a loop that runs every 100 ms.
 */
const REPLAY_GRACE_MS = 300
/** Quiet time after which a partial replay is answered as it is. */
const REPLAY_SETTLE_MS = 50
/**
 * etcd3 re-opens its shared watch stream after a backoff, and it counts every normal end of the
 * stream (the last watcher cancelled) as a failure, so its default backoff climbs to 30 s and leaves
 * a timer that keeps the process alive that long after close(). Capped low: our watches are short.
 */
const WATCH_RETRY_MIN_MS = 100
const WATCH_RETRY_MAX_MS = 1000
interface Backoff { readonly duration: number, next (context: unknown): Backoff }
function watchBackoff (ms: number): Backoff {
  return { duration: ms, next: () => watchBackoff(Math.min(ms * 2, WATCH_RETRY_MAX_MS)) }
}
/** How long close() waits for watch cancellations before it closes the client anyway. */
const CLOSE_CANCEL_MS = 2000

export async function openEtcdStore (init: EtcdStoreInit): Promise<KvStore> {
  const store = new EtcdStore(init)
  await store.revision().catch(async err => { await store.close(); throw err })
  return store
}

type Guard = [key: string, column: 'Create' | 'Mod', cmp: '==', value: number]

class EtcdStore implements KvStore {
  #client: Etcd3
  #prefix: string
  #maxWatches: number
  #maxAttempts: number
  #maxTxnOps: number
  #waiting = 0
  #closed = false
  /** Wakes of parked watches, so close() ends them at once. */
  #parked = new Set<() => void>()
  /** Watch cancellations in flight: close() lets them finish, or etcd3 would keep reconnecting. */
  #cancelling = new Set<Promise<void>>()

  constructor (init: EtcdStoreInit) {
    this.#client = new Etcd3({ hosts: init.endpoints, faultHandling: { watchBackoff: watchBackoff(WATCH_RETRY_MIN_MS) } })
    this.#prefix = init.prefix ?? ''
    this.#maxWatches = init.maxWatches ?? 1024
    this.#maxAttempts = init.maxAttempts ?? 20
    this.#maxTxnOps = init.maxTxnOps ?? 128
  }

  async get (key: string): Promise<KvEntry | undefined> {
    checkKey(key)
    const cur = (await this.#snapshot([key])).snapshot.get(key)
    return cur === undefined ? undefined : { key, value: cur.value, revision: cur.modRevision }
  }

  async set (key: string, value: string): Promise<number> {
    checkKey(key); checkValue(value)
    const res = await this.#call(async () => await this.#client.put(this.#prefix + key).value(value).exec())
    return Number(res.header.revision)
  }

  async create (key: string, value: string): Promise<number> {
    checkKey(key); checkValue(value)
    const full = this.#prefix + key
    const res = await this.#call(async () => await this.#client.if(full, 'Create', '==', 0)
      .then(this.#client.put(full).value(value)).commit())
    if (!res.succeeded) throw new SYSCFG_ERR_EXISTS(key)
    return Number(res.header.revision)
  }

  async delete (key: string): Promise<number | undefined> {
    checkKey(key)
    const res = await this.#call(async () => await this.#client.delete().key(this.#prefix + key).exec())
    return Number(res.deleted) > 0 ? Number(res.header.revision) : undefined
  }

  async append (key: string, value: string): Promise<number> {
    return (await this.#write([{ op: 'append', key, value }])).revision
  }

  async setByJsonPath (key: string, path: string, value: unknown): Promise<number> {
    return (await this.#write([{ op: 'json', key, path, value }])).revision
  }

  async tx (actions: TxAction[], compare?: Compare): Promise<{ ok: boolean, revision: number }> {
    return await this.#write(actions, compare)
  }

  async list (prefix: string): Promise<string[]> {
    checkPrefix(prefix)
    const dir = listPrefix(prefix)
    const keys = await this.#call(async () => await this.#client.getAll().prefix(this.#prefix + dir).keys())
    return directChildren(dir, keys.map(k => k.slice(this.#prefix.length)))
  }

  async revision (): Promise<number> {
    // NUL is never in a key, so this reads nothing and costs one round trip for the header.
    const res = await this.#call(async () => await this.#client.get(this.#prefix + '\0').exec())
    return Number(res.header.revision)
  }

  async watch (prefix: string, fromRevision: number, options: WatchOptions): Promise<{ events: WatchEvent[], revision: number }> {
    checkPrefix(prefix)
    checkRevision(fromRevision, 'fromRevision')
    const limit = Math.max(1, Math.floor(options?.limit ?? DEFAULT_WATCH_LIMIT))
    if (this.#waiting >= this.#maxWatches) throw new SYSCFG_ERR_TOO_MANY_WATCHES(this.#maxWatches)
    this.#waiting++
    let watcher: Watcher | undefined
    try {
      const current = await this.revision()
      const timeoutMs = clampTimeout(options?.timeoutMs)
      const wait = current > fromRevision ? Math.max(timeoutMs, REPLAY_GRACE_MS) : timeoutMs
      if (wait === 0) return { events: [], revision: current }
      const events: WatchEvent[] = []
      let failure: Error | undefined
      let wake: (() => void) | undefined
      watcher = await this.#call(async () => await this.#client.watch().prefix(this.#prefix + prefix)
        .startRevision(String(fromRevision + 1)).create())
      watcher.on('data', (res: IWatchResponse) => {
        for (const e of res.events) events.push(this.#event(e.type === 'Delete' ? 'delete' : 'put', e.kv))
        if (events.length > 0) wake?.()
      })
      watcher.on('error', (err: Error) => { failure = err; wake?.() })
      const park = async (ms: number): Promise<'changed' | 'timeout'> => await waitForChange(fn => {
        wake = fn
        this.#parked.add(fn)
        return () => { wake = undefined; this.#parked.delete(fn) }
      }, ms, options?.signal)
      const deadline = Date.now() + wait
      if (events.length === 0 && failure === undefined) await park(wait)
      // A replay of history may come in several responses: while it has not reached the
      // revision current at the start, gather what follows closely (correct either way, since
      // the answer's revision is its last event's; this only saves the caller round trips).
      while (failure === undefined && !this.#closed && events.length > 0 && events.length < limit &&
        events[events.length - 1].revision < current && Date.now() < deadline) {
        if (await park(Math.min(REPLAY_SETTLE_MS, deadline - Date.now())) === 'timeout') break
      }
      if (this.#closed) throw new SYSCFG_ERR_CLOSED()
      if (failure !== undefined) throw await this.#watchFailure(fromRevision, failure)
      if (events.length === 0) return { events: [], revision: current }
      return cutAtRevision(events, limit)
    } finally {
      this.#waiting--
      if (watcher !== undefined) this.#cancel(watcher)
    }
  }

  #cancel (watcher: Watcher): void {
    const done: Promise<void> = watcher.cancel().catch(() => {}).finally(() => this.#cancelling.delete(done))
    this.#cancelling.add(done)
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const wake of [...this.#parked]) wake()
    // A watcher still attached when the client closes makes etcd3's watch manager retry with a
    // backoff of up to 30 s, which keeps the process alive; cancellation takes one round trip.
    await new Promise(resolve => setImmediate(resolve))
    const bound = new Promise<void>(resolve => setTimeout(resolve, CLOSE_CANCEL_MS).unref())
    await Promise.race([Promise.allSettled([...this.#cancelling]), bound])
    this.#client.close()
  }

  #event (type: 'put' | 'delete', kv: IKeyValue): WatchEvent {
    const key = kv.key.toString().slice(this.#prefix.length)
    const revision = Number(kv.mod_revision)
    return type === 'put' ? { type, key, value: kv.value.toString(), revision } : { type, key, revision }
  }

  /** A cancelled watch is compaction when the revision cannot be read any more. */
  async #watchFailure (fromRevision: number, failure: Error): Promise<Error> {
    if (!(await this.#compacted(fromRevision + 1))) return new SYSCFG_ERR_BACKEND(failure.message, { cause: failure })
    // The oldest readable revision, found by bisection (etcd reports it only to raw watch streams).
    let lo = fromRevision + 1
    let hi = await this.revision()
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2)
      if (await this.#compacted(mid)) lo = mid + 1
      else hi = mid
    }
    return new SYSCFG_ERR_COMPACTED(fromRevision, lo - 1, { cause: failure })
  }

  async #compacted (revision: number): Promise<boolean> {
    try {
      await this.#client.kv.range({ key: Buffer.from(this.#prefix + '\0'), revision, count_only: true })
      return false
    } catch (err) {
      if (/compacted/.test((err as Error).message)) return true
      throw new SYSCFG_ERR_BACKEND((err as Error).message, { cause: err })
    }
  }

  /** Current values of keys (one round trip each, in parallel) and the highest header revision seen. */
  async #snapshot (keys: readonly string[]): Promise<{ snapshot: Map<string, Current | undefined>, revision: number }> {
    let revision = 0
    const rows = await this.#call(async () => await Promise.all(keys.map(async key => {
      const res = await this.#client.get(this.#prefix + key).exec()
      revision = Math.max(revision, Number(res.header.revision))
      const kv = res.kvs[0]
      return [key, kv === undefined
        ? undefined
        : { value: kv.value.toString(), createRevision: Number(kv.create_revision), modRevision: Number(kv.mod_revision) }] as const
    })))
    return { snapshot: new Map(rows), revision }
  }

  async #write (actions: PlanAction[], compare?: Compare): Promise<{ ok: boolean, revision: number }> {
    const keys = keysOf(actions, compare)
    if (keys.length > this.#maxTxnOps) throw new SYSCFG_ERR_BAD_TX(`${keys.length} keys; etcd takes at most ${this.#maxTxnOps} in one transaction`)
    for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
      const { snapshot, revision } = await this.#snapshot(keys)
      const { ok, changes } = plan(actions, snapshot, compare)
      if (!ok || changes.size === 0) return { ok, revision: revision || await this.revision() }
      const guards = keys.map((key): Guard => {
        const cur = snapshot.get(key)
        return cur === undefined ? [this.#prefix + key, 'Create', '==', 0] : [this.#prefix + key, 'Mod', '==', cur.modRevision]
      })
      const ops = [...changes].map(([key, change]) => change.type === 'put'
        ? this.#client.put(this.#prefix + key).value(change.value)
        : this.#client.delete().key(this.#prefix + key))
      const res = await this.#call(async () => {
        let txn = this.#client.if(...guards[0])
        for (const guard of guards.slice(1)) txn = txn.and(...guard)
        return await txn.then(...ops).commit()
      })
      if (res.succeeded) return { ok: true, revision: Number(res.header.revision) }
    }
    throw new SYSCFG_ERR_CONFLICT(this.#maxAttempts)
  }

  async #call<T> (fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new SYSCFG_ERR_CLOSED()
    try {
      return await fn()
    } catch (err) {
      if (err instanceof GatewayError) throw err
      throw new SYSCFG_ERR_BACKEND((err as Error).message, { cause: err })
    }
  }
}
