// The system-config RPC endpoint: JSON over HTTP POST (any path; conventionally
// /kapi/system_config). Request `{method, params, sys: [seq, token]}`; answer
// `{result, sys: [seq]}` or `{error: {code, message}, sys: [seq]}` with HTTP 200. Only requests
// that are not POST + a bounded JSON object get 405/413/400 (same error body, `sys: [null]`).
//
// Order per call: envelope → token (SYSCFG_ERR_AUTH) → params → access rules
// (SYSCFG_ERR_FORBIDDEN) → store. Nothing reaches the store before the caller is known and
// allowed, so a refused call changes nothing.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../../core/logger.ts'
import { readJsonObject, replyJson, rpcEnvelope, rpcErrorOf, type RpcBodyErrors, type RpcSeq } from '../../core/json-rpc-http.ts'
import { principalName, type Principal } from '../rules.ts'
import type { KvStore } from '../store/types.ts'
import type { SysConfigAuth } from './auth.ts'
import { decodeCall, type RpcCall } from './params.ts'
import {
  SYSCFG_ERR_BAD_ENVELOPE, SYSCFG_ERR_BAD_JSON, SYSCFG_ERR_BODY_TOO_LARGE, SYSCFG_ERR_HTTP_METHOD,
  SYSCFG_ERR_INTERNAL
} from './errors.ts'

export interface SysConfigHandlerInit {
  store: KvStore
  auth: SysConfigAuth
  logger: Logger
  /** Largest request body accepted (413 beyond). Default 4 MiB: a 1 MiB value, JSON-escaped. */
  maxBodyBytes?: number
  /** Longest a watch waits for its first event, whatever the caller asks. Default 60 s. */
  maxWatchMs?: number
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
export const DEFAULT_MAX_WATCH_MS = 60_000

/** The error object on the wire; COMPACTED adds the revisions a client resyncs with. */
export interface RpcErrorBody { code: string, message: string, oldest_revision?: number, revision?: number }

const BODY_ERRORS: RpcBodyErrors = { BodyTooLarge: SYSCFG_ERR_BODY_TOO_LARGE, BadJson: SYSCFG_ERR_BAD_JSON }

export function createSysConfigHandler (init: SysConfigHandlerInit): (req: IncomingMessage, res: ServerResponse) => void {
  const { store, auth } = init
  const log = init.logger.child({ mod: 'sysconfig.service' })
  const maxBodyBytes = init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const maxWatchMs = init.maxWatchMs ?? DEFAULT_MAX_WATCH_MS

  return (req, res) => {
    handle(req, res).catch(err => {
      // handle() answers every error itself; this is a last resort (e.g. a write after a reset).
      log.error({ err }, 'system-config request failed')
      if (!res.headersSent) replyJson(res, 500, { error: { code: 'SYSCFG_ERR_INTERNAL', message: 'internal error' }, sys: [null] })
      else res.destroy()
    })
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      req.resume()
      return replyError(res, new SYSCFG_ERR_HTTP_METHOD(String(req.method)), null, { allow: 'POST' })
    }
    let body: Record<string, unknown>
    try {
      body = await readJsonObject(req, maxBodyBytes, BODY_ERRORS)
    } catch (err) {
      return replyError(res, err, null, (err as { code?: string }).code === 'SYSCFG_ERR_BODY_TOO_LARGE' ? { connection: 'close' } : {})
    }
    const env = rpcEnvelope(body)
    const { sys, seq } = env
    const started = performance.now()
    let who: Principal | undefined
    let method = typeof env.method === 'string' ? env.method.slice(0, 64) : '?'
    try {
      if (sys === undefined) {
        throw new SYSCFG_ERR_BAD_ENVELOPE('"sys" must be [seq, token] with an integer seq')
      }
      who = await auth.authenticate(sys[1])
      const call = decodeCall(env.method, env.params)
      method = call.method
      authorize(who, call)
      const result = await execute(who, call, res)
      if (res.destroyed) return
      replyJson(res, 200, { result, sys: [seq] })
      log.debug({ method, who: principalName(who), ms: Math.round(performance.now() - started) }, 'call')
    } catch (err) {
      if (res.destroyed) return
      log.debug({ method, who: who !== undefined ? principalName(who) : undefined, code: (err as { code?: string }).code }, 'call refused')
      return replyError(res, err, seq)
    }
  }

  function authorize (who: Principal, call: RpcCall): void {
    switch (call.method) {
      case 'sys_config_get': return auth.check(who, call.key, 'read')
      case 'sys_config_list': return auth.check(who, dirOf(call.prefix), 'read')
      case 'sys_config_watch': return auth.check(who, call.prefix, 'read')
      case 'sys_config_exec_tx':
        for (const action of call.actions) auth.check(who, action.key, 'write')
        if (call.compare !== undefined) auth.check(who, call.compare.key, 'read')
        return
      default: return auth.check(who, call.key, 'write')
    }
  }

  async function execute (who: Principal, call: RpcCall, res: ServerResponse): Promise<unknown> {
    switch (call.method) {
      case 'sys_config_get': {
        const entry = await store.get(call.key)
        return entry === undefined ? null : { value: entry.value, revision: entry.revision }
      }
      case 'sys_config_set': return { revision: await store.set(call.key, call.value) }
      case 'sys_config_create': return { revision: await store.create(call.key, call.value) }
      case 'sys_config_append': return { revision: await store.append(call.key, call.value) }
      case 'sys_config_delete': return { revision: (await store.delete(call.key)) ?? null }
      case 'sys_config_list': return await store.list(call.prefix)
      case 'sys_config_set_by_json_path': return { revision: await store.setByJsonPath(call.key, call.jsonPath, call.value) }
      case 'sys_config_exec_tx': return await store.tx(call.actions, call.compare)
      case 'sys_config_watch': {
        // The caller hanging up ends the wait (and frees the store's watcher).
        const ac = new AbortController()
        const onClose = (): void => { if (!res.writableFinished) ac.abort() }
        res.on('close', onClose)
        try {
          const timeoutMs = Math.min(call.timeoutMs ?? maxWatchMs, maxWatchMs)
          const { events, revision } = await store.watch(call.prefix, call.revision, { timeoutMs, signal: ac.signal })
          // Watch is a read of the prefix, but a broad prefix may cover keys this caller may not
          // read (secrets under system/): those events are dropped, the revision still advances.
          return { events: events.filter(e => auth.allows(who, e.key, 'read')), revision }
        } finally {
          res.off('close', onClose)
        }
      }
    }
  }

  function replyError (res: ServerResponse, err: unknown, seq: RpcSeq, headers: Record<string, string> = {}): void {
    if (res.destroyed) return // the caller is gone (a reset while reading the body)
    const { coded, error, status }: { coded: boolean, error: RpcErrorBody, status: number } = rpcErrorOf(err, 'SYSCFG_ERR_', SYSCFG_ERR_INTERNAL)
    if (!coded) log.error({ err }, 'system-config call failed unexpectedly')
    const oldest = (err as { oldestRevision?: unknown }).oldestRevision
    if (error.code === 'SYSCFG_ERR_COMPACTED' && typeof oldest === 'number') {
      error.oldest_revision = oldest
      store.revision().then(revision => {
        finish({ ...error, revision })
      }, () => finish(error))
      return
    }
    finish(error)

    function finish (e: RpcErrorBody): void {
      if (res.destroyed) return
      replyJson(res, status, { error: e, sys: [seq] }, headers)
    }
  }
}

/** list('a') lists the directory 'a/' (as the store does); rules see that directory. */
function dirOf (prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : prefix + '/'
}
