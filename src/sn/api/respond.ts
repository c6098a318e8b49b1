// Answers of the SN API: JSON bodies, and coded errors as {"error": {"code", "message"}} with the
// status the error carries (500 SN_ERR_INTERNAL for anything uncoded, logged, never echoed).
import type { ServerResponse } from 'node:http'
import type { Logger } from '../../core/logger.ts'
import { SN_ERR_INTERNAL } from '../errors.ts'

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers })
  res.end(text)
}

export function sendText (res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

export function sendError (res: ServerResponse, err: unknown, logger?: Logger): void {
  const e = err as { code?: unknown, httpStatus?: unknown, message?: unknown, retryAfterMs?: unknown }
  if (typeof e?.httpStatus !== 'number' || typeof e.code !== 'string' || e.httpStatus >= 500) {
    logger?.error({ err }, 'sn api request failed')
    const internal = new SN_ERR_INTERNAL()
    sendJson(res, 500, { error: { code: internal.code, message: internal.message } })
    return
  }
  const headers: Record<string, string> = {}
  if (typeof e.retryAfterMs === 'number') headers['retry-after'] = String(Math.max(1, Math.ceil(e.retryAfterMs / 1000)))
  // A body we stopped reading must not be parsed as the next request.
  if (e.httpStatus === 413) headers.connection = 'close'
  sendJson(res, e.httpStatus, { error: { code: e.code, message: String(e.message) } }, headers)
}
