// Client of the system-config RPC service (src/sysconfig/service/handler.ts). Each method is one
// POST `{method, params, sys: [seq, token]}`; an `{error: {code, message}}` answer becomes a
// GatewayError with the server's code, so callers branch on `err.code` as with a local store.
// watchLoop() long-polls a prefix forever and, when the server no longer has the history it
// needs (SYSCFG_ERR_COMPACTED), re-reads the prefix and hands the caller a fresh snapshot.
import { GatewayError, hasCode } from '../core/errors.ts'
import type { TxAction, WatchEvent } from './store/types.ts'
import { SYSCFG_ERR_BAD_REPLY, SYSCFG_ERR_TRANSPORT } from './service/errors.ts'
import { sleep } from '../core/sleep.ts'

export interface SysConfigClientInit {
  /** The endpoint, e.g. http://127.0.0.1:3180/kapi/system_config */
  url: string | URL
  /** Called before every request: a fresh (or cached) EdDSA JWT for the zone. */
  token: () => Promise<string> | string
  fetch?: typeof globalThis.fetch
}

/** An error the server answered; COMPACTED ones carry the revisions to resync from. */
export type SysConfigRemoteError = GatewayError & { oldestRevision?: number, currentRevision?: number }

export interface WatchResult { events: WatchEvent[], revision: number }

export interface WatchLoopOptions {
  /** Long-poll length asked of the server (it may cap it). Default 30 s. */
  timeoutMs?: number
  /**
   * After SYSCFG_ERR_COMPACTED: every readable key under the prefix, read just now. Events
   * from `revision` on follow through onEvents; some may already be reflected in the snapshot
   * (replaying them in order converges to the same state).
   */
  onResync?: (entries: Map<string, { value: string, revision: number }>, revision: number) => void | Promise<void>
  /** Any other failure; the loop retries with a capped backoff (100 ms doubling to 5 s). */
  onError?: (err: unknown) => void
}

export interface SysConfigClient {
  get (key: string): Promise<{ value: string, revision: number } | undefined>
  set (key: string, value: string): Promise<number>
  create (key: string, value: string): Promise<number>
  /** The deletion's revision; undefined when the key did not exist. */
  delete (key: string): Promise<number | undefined>
  append (key: string, value: string): Promise<number>
  /** Names of the direct children of a prefix ("a" and "a/" both list the directory a/). */
  list (key: string): Promise<string[]>
  setByJsonPath (key: string, jsonPath: string, value: unknown): Promise<number>
  /** Atomic; with mainKey [key, revision] it applies only if that key is at that revision (0 = absent). */
  tx (actions: TxAction[], mainKey?: [string, number]): Promise<{ ok: boolean, revision: number }>
  watch (prefix: string, revision: number, options?: { timeoutMs?: number, signal?: AbortSignal }): Promise<WatchResult>
  /** Resolves when `signal` aborts. */
  watchLoop (prefix: string, fromRevision: number, onEvents: (events: WatchEvent[], revision: number) => void | Promise<void>, signal: AbortSignal, options?: WatchLoopOptions): Promise<void>
}

export function createSysConfigClient (init: SysConfigClientInit): SysConfigClient {
  const url = String(init.url)
  const doFetch = init.fetch ?? globalThis.fetch
  let seq = 0

  async function call (method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    const id = ++seq
    const token = await init.token()
    let status: number
    let text: string
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ method, params, sys: [id, token] }),
        signal
      })
      status = res.status
      text = await res.text()
    } catch (err) {
      throw new SYSCFG_ERR_TRANSPORT(url, (err as Error).message ?? String(err), { cause: err })
    }
    let reply: { result?: unknown, error?: unknown, sys?: unknown }
    try {
      reply = JSON.parse(text)
    } catch (err) {
      throw status === 200 ? new SYSCFG_ERR_BAD_REPLY(url, 'not JSON', { cause: err }) : new SYSCFG_ERR_TRANSPORT(url, `HTTP ${status}`)
    }
    if (reply === null || typeof reply !== 'object') throw new SYSCFG_ERR_BAD_REPLY(url, 'not an object')
    if (reply.error !== undefined) throw remoteError(reply.error, url)
    if (status !== 200) throw new SYSCFG_ERR_TRANSPORT(url, `HTTP ${status}`)
    if (!Array.isArray(reply.sys) || reply.sys[0] !== id) throw new SYSCFG_ERR_BAD_REPLY(url, `sys does not echo seq ${id}`)
    if (!('result' in reply)) throw new SYSCFG_ERR_BAD_REPLY(url, 'neither result nor error')
    return reply.result
  }

  function revisionOf (result: unknown, method: string, nullable: true): number | undefined
  function revisionOf (result: unknown, method: string): number
  function revisionOf (result: unknown, method: string, nullable = false): number | undefined {
    const r = (result as { revision?: unknown } | null)?.revision
    if (nullable && r === null) return undefined
    if (typeof r !== 'number') throw new SYSCFG_ERR_BAD_REPLY(url, `${method}: no revision`)
    return r
  }

  const client: SysConfigClient = {
    async get (key) {
      const r = await call('sys_config_get', { key }) as { value?: unknown, revision?: unknown } | null
      if (r === null) return undefined
      if (typeof r?.value !== 'string' || typeof r.revision !== 'number') throw new SYSCFG_ERR_BAD_REPLY(url, 'sys_config_get: expected {value, revision} or null')
      return { value: r.value, revision: r.revision }
    },
    set: async (key, value) => revisionOf(await call('sys_config_set', { key, value }), 'sys_config_set'),
    create: async (key, value) => revisionOf(await call('sys_config_create', { key, value }), 'sys_config_create'),
    delete: async key => revisionOf(await call('sys_config_delete', { key }), 'sys_config_delete', true),
    append: async (key, value) => revisionOf(await call('sys_config_append', { key, value }), 'sys_config_append'),
    async list (key) {
      const r = await call('sys_config_list', { key })
      if (!Array.isArray(r) || !r.every(n => typeof n === 'string')) throw new SYSCFG_ERR_BAD_REPLY(url, 'sys_config_list: expected an array of names')
      return r
    },
    setByJsonPath: async (key, jsonPath, value) =>
      revisionOf(await call('sys_config_set_by_json_path', { key, json_path: jsonPath, value }), 'sys_config_set_by_json_path'),
    async tx (actions, mainKey) {
      const r = await call('sys_config_exec_tx', mainKey === undefined ? { actions } : { actions, main_key: mainKey }) as { ok?: unknown, revision?: unknown } | null
      if (typeof r?.ok !== 'boolean' || typeof r.revision !== 'number') throw new SYSCFG_ERR_BAD_REPLY(url, 'sys_config_exec_tx: expected {ok, revision}')
      return { ok: r.ok, revision: r.revision }
    },
    async watch (prefix, revision, options = {}) {
      const params: Record<string, unknown> = { prefix, revision }
      if (options.timeoutMs !== undefined) params.timeout_ms = options.timeoutMs
      const r = await call('sys_config_watch', params, options.signal) as { events?: unknown, revision?: unknown } | null
      if (!Array.isArray(r?.events) || typeof r.revision !== 'number') throw new SYSCFG_ERR_BAD_REPLY(url, 'sys_config_watch: expected {events, revision}')
      return { events: r.events as WatchEvent[], revision: r.revision }
    },
    watchLoop: (prefix, fromRevision, onEvents, signal, options = {}) => watchLoop(client, prefix, fromRevision, onEvents, signal, options)
  }
  return client
}

function remoteError (error: unknown, url: string): SysConfigRemoteError {
  const e = error as { code?: unknown, message?: unknown, oldest_revision?: unknown, revision?: unknown } | null
  if (typeof e?.code !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(e.code)) return new SYSCFG_ERR_BAD_REPLY(url, 'error without a code')
  const err: SysConfigRemoteError = new GatewayError(e.code, typeof e.message === 'string' ? e.message : e.code)
  if (typeof e.oldest_revision === 'number') err.oldestRevision = e.oldest_revision
  if (typeof e.revision === 'number') err.currentRevision = e.revision
  return err
}

async function watchLoop (
  client: SysConfigClient, prefix: string, fromRevision: number,
  onEvents: (events: WatchEvent[], revision: number) => void | Promise<void>, signal: AbortSignal, options: WatchLoopOptions
): Promise<void> {
  let revision = fromRevision
  let failures = 0
  while (!signal.aborted) {
    try {
      const result = await client.watch(prefix, revision, { timeoutMs: options.timeoutMs ?? 30_000, signal })
      if (result.events.length > 0) await onEvents(result.events, result.revision)
      revision = Math.max(revision, result.revision)
      failures = 0
    } catch (err) {
      if (signal.aborted) return
      if (hasCode(err, 'SYSCFG_ERR_COMPACTED')) {
        const e = err as SysConfigRemoteError
        // Take the revision first, then read: whatever changes meanwhile is replayed after.
        const from = e.currentRevision ?? e.oldestRevision
        if (from === undefined) throw err
        try {
          const entries = await snapshot(client, prefix)
          await options.onResync?.(entries, from)
          revision = from
          failures = 0
          continue
        } catch (err2) {
          if (signal.aborted) return
          err = err2
        }
      }
      options.onError?.(err)
      failures++
      await sleep(Math.min(100 * 2 ** (failures - 1), 5000), signal)
    }
  }
}

/** Every key the caller may read under `prefix` (the prefix as a key too), by list and get. */
async function snapshot (client: SysConfigClient, prefix: string): Promise<Map<string, { value: string, revision: number }>> {
  const entries = new Map<string, { value: string, revision: number }>()
  const read = async (key: string): Promise<void> => {
    try {
      const entry = await client.get(key)
      if (entry !== undefined) entries.set(key, entry)
    } catch (err) {
      if (!hasCode(err, 'SYSCFG_ERR_FORBIDDEN')) throw err
    }
  }
  const walk = async (dir: string): Promise<void> => {
    let names: string[]
    try {
      names = await client.list(dir)
    } catch (err) {
      if (hasCode(err, 'SYSCFG_ERR_FORBIDDEN')) return
      throw err
    }
    await Promise.all(names.map(async name => {
      await read(dir + name)
      await walk(dir + name + '/')
    }))
  }
  if (prefix !== '' && !prefix.endsWith('/')) await read(prefix)
  await walk(prefix === '' || prefix.endsWith('/') ? prefix : prefix + '/')
  return entries
}
