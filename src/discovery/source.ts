// What discovery needs of system-config, whether the gateway holds the store itself (embedded
// sqlite or etcd: fromStore) or reaches a remote system-config over HTTP (fromClient). Both
// report a lost watch history as SYSCFG_ERR_COMPACTED; callers then re-read and watch again.
import type { KvStore, TxAction, WatchEvent } from '../sysconfig/store/types.ts'
import type { SysConfigClient } from '../sysconfig/client.ts'

export interface DiscoverySource {
  get (key: string): Promise<{ value: string, revision: number } | undefined>
  set (key: string, value: string): Promise<number>
  /** The deletion's revision; undefined when the key did not exist. */
  delete (key: string): Promise<number | undefined>
  /** Names of the direct children of a prefix ending in "/". */
  list (prefix: string): Promise<string[]>
  /** Atomic; with compare it applies only while that key is at that revision (0 = absent). */
  tx (actions: TxAction[], compare?: { key: string, revision: number }): Promise<{ ok: boolean, revision: number }>
  /** Changes under prefix after fromRevision; waits up to timeoutMs for the first one. */
  watch (prefix: string, fromRevision: number, options: { timeoutMs: number, signal?: AbortSignal }): Promise<{ events: WatchEvent[], revision: number }>
  /** The store's current revision: a snapshot read after it and a watch from it miss nothing. */
  revision (): Promise<number>
}

export function fromStore (store: KvStore): DiscoverySource {
  return {
    get: async key => await store.get(key),
    set: async (key, value) => await store.set(key, value),
    delete: async key => await store.delete(key),
    list: async prefix => await store.list(prefix),
    tx: async (actions, compare) => await store.tx(actions, compare),
    watch: async (prefix, from, options) => await store.watch(prefix, from, options),
    revision: async () => await store.revision()
  }
}

export function fromClient (client: SysConfigClient, options: { revisionPrefix?: string } = {}): DiscoverySource {
  // The RPC has no "current revision" method. A watch from a revision beyond the current one
  // with no wait answers at once with no events and the current revision (both backends), and
  // needs only read access to the prefix discovery reads anyway.
  const revisionPrefix = options.revisionPrefix ?? 'services/'
  return {
    get: async key => await client.get(key),
    set: async (key, value) => await client.set(key, value),
    delete: async key => await client.delete(key),
    list: async prefix => await client.list(prefix),
    tx: async (actions, compare) => await client.tx(actions, compare === undefined ? undefined : [compare.key, compare.revision]),
    watch: async (prefix, from, options) => await client.watch(prefix, from, options),
    revision: async () => (await client.watch(revisionPrefix, Number.MAX_SAFE_INTEGER, { timeoutMs: 0 })).revision
  }
}
