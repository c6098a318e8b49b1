// Shapes a buffered local answer: Content-Length always (HEAD included, so the client learns the
// size), the body only when the method and status allow one.
import { STATUS_CODES } from 'node:http'
import type { HttpRequestFacts, LocalResponse } from '../types.ts'

/** 1xx, 204 and 304 never carry a body (RFC 9110 6.4.1). */
export function statusHasBody (status: number): boolean {
  return status >= 200 && status !== 204 && status !== 304
}

export function bufferedAnswer (req: HttpRequestFacts, status: number, headers: Array<[string, string]>, body: Buffer): LocalResponse {
  if (!statusHasBody(status)) return { status, headers }
  headers.push(['content-length', String(body.length)])
  if (req.method === 'HEAD' || body.length === 0) return { status, headers, length: body.length }
  return { status, headers, body, length: body.length }
}

export function checkStatus (status: unknown, min = 200): status is number {
  return typeof status === 'number' && Number.isInteger(status) && status >= min && status <= 599
}

/** A short plain-text answer ("404 Not Found\n") for refusals and errors. */
export function textAnswer (req: HttpRequestFacts, status: number, headers: Array<[string, string]> = []): LocalResponse {
  headers.push(['content-type', 'text/plain; charset=utf-8'])
  return bufferedAnswer(req, status, headers, Buffer.from(`${status} ${STATUS_CODES[status] ?? ''}\n`))
}
