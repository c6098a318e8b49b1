// The verify-hub's HTTP face: JSON over POST, any path (like the system-config RPC). Request
// `{method, params, sys: [seq]}`; answer `{result, sys: [seq]}` or `{error: {code, message},
// sys: [seq]}`, HTTP 200 — except requests that are not POST + a bounded JSON object (405/413/
// 400, `sys: [null]`) and rate-limited ones (429 with retry-after). Untrusted input never reaches
// a 500: every failure is coded, anything else is logged and answered VHUB_ERR_INTERNAL.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../core/logger.ts'
import { readJsonObject, replyJson, rpcEnvelope, rpcErrorOf, type RpcBodyErrors, type RpcSeq } from '../core/json-rpc-http.ts'
import type { TokenPair, VerifyAnswer } from './hub.ts'
import {
  VHUB_ERR_BAD_ENVELOPE, VHUB_ERR_BAD_JSON, VHUB_ERR_BAD_PARAMS, VHUB_ERR_BODY_TOO_LARGE, VHUB_ERR_HTTP_METHOD,
  VHUB_ERR_INTERNAL, VHUB_ERR_UNKNOWN_METHOD
} from './errors.ts'

export const MAX_BODY_BYTES = 64 * 1024

export interface HubMethods {
  loginByJwt (jwt: unknown, from?: string): Promise<TokenPair>
  refresh (refreshToken: unknown, from?: string): Promise<TokenPair>
  verify (sessionToken: unknown): Promise<VerifyAnswer>
  logout (refreshToken: unknown): Promise<{ revoked: boolean }>
}

export interface VerifyHubHandlerInit {
  hub: HubMethods
  logger: Logger
  clientAddress: (req: IncomingMessage) => string
  /** Seconds a limited address waits (the retry-after header). */
  retryAfter: (from: string) => number
}

// Parser messages are cut short: they quote the (untrusted) input back to the caller.
const BODY_ERRORS: RpcBodyErrors = { BodyTooLarge: VHUB_ERR_BODY_TOO_LARGE, BadJson: VHUB_ERR_BAD_JSON, maxDetailChars: 200 }

export function createVerifyHubHandler (init: VerifyHubHandlerInit): (req: IncomingMessage, res: ServerResponse) => void {
  const { hub, logger: log } = init

  return (req, res) => {
    handle(req, res).catch(err => {
      // handle() answers every error itself; this is a last resort (e.g. a write after a reset).
      log.error({ err }, 'verify-hub request failed')
      if (!res.headersSent) replyJson(res, 200, { error: { code: VHUB_ERR_INTERNAL.code, message: 'internal error' }, sys: [null] })
      else res.destroy()
    })
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      req.resume()
      return replyError(res, new VHUB_ERR_HTTP_METHOD(String(req.method).slice(0, 16)), null, { allow: 'POST' })
    }
    let body: Record<string, unknown>
    try {
      body = await readJsonObject(req, MAX_BODY_BYTES, BODY_ERRORS)
    } catch (err) {
      return replyError(res, err, null, (err as { code?: string }).code === VHUB_ERR_BODY_TOO_LARGE.code ? { connection: 'close' } : {})
    }
    const env = rpcEnvelope(body)
    const seq = env.seq
    const from = init.clientAddress(req)
    try {
      if (env.sys === undefined) {
        throw new VHUB_ERR_BAD_ENVELOPE('"sys" must be [seq] with an integer seq')
      }
      const result = await call(env.method, env.params, from)
      if (res.destroyed) return
      replyJson(res, 200, { result, sys: [seq] })
    } catch (err) {
      log.debug({ method: typeof env.method === 'string' ? env.method.slice(0, 64) : '?', from, code: (err as { code?: string }).code }, 'call refused')
      const headers: Record<string, string> = {}
      if ((err as { code?: string }).code === 'VHUB_ERR_RATE_LIMITED') headers['retry-after'] = String(Math.max(1, init.retryAfter(from)))
      return replyError(res, err, seq, headers)
    }
  }

  async function call (method: unknown, params: unknown, from: string): Promise<unknown> {
    const name = typeof method === 'string' ? method.slice(0, 64) : String(typeof method)
    if (method !== 'login_by_jwt' && method !== 'refresh' && method !== 'verify' && method !== 'logout') throw new VHUB_ERR_UNKNOWN_METHOD(name)
    if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new VHUB_ERR_BAD_PARAMS(name, 'params must be an object')
    const p = params as Record<string, unknown>
    switch (method) {
      case 'login_by_jwt': only(method, p, 'jwt'); return await hub.loginByJwt(p.jwt, from)
      case 'refresh': only(method, p, 'refresh_token'); return await hub.refresh(p.refresh_token, from)
      case 'verify': only(method, p, 'session_token'); return await hub.verify(p.session_token)
      case 'logout': only(method, p, 'refresh_token'); return await hub.logout(p.refresh_token)
    }
  }

  function replyError (res: ServerResponse, err: unknown, seq: RpcSeq, headers: Record<string, string> = {}): void {
    if (res.destroyed) return // the caller is gone (a reset while reading the body)
    const { coded, error, status } = rpcErrorOf(err, 'VHUB_ERR_', VHUB_ERR_INTERNAL)
    if (!coded) log.error({ err }, 'verify-hub call failed unexpectedly')
    replyJson(res, status, { error, sys: [seq] }, headers)
  }
}

/** Exactly one named field, no others: unknown fields are mistakes worth hearing about. */
function only (method: string, p: Record<string, unknown>, field: string): void {
  for (const k of Object.keys(p)) if (k !== field) throw new VHUB_ERR_BAD_PARAMS(method, `unexpected field "${k.slice(0, 64)}"`)
  if (!(field in p)) throw new VHUB_ERR_BAD_PARAMS(method, `"${field}" is required`)
}
