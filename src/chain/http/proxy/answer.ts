// Answers the engine writes itself: local responses (respond, redirect, serve, reject) and error
// answers. Adds Date, Content-Length (or chunked for a body of unknown length; close-delimited for
// HTTP/1.0 clients) and Connection; writes no body for HEAD, 1xx, 204 and 304.
import type { Duplex, Readable } from 'node:stream'
import { STATUS_CODES } from 'node:http'
import type { HeaderPair, ResponseHead } from '../types.ts'
import { serializeResponseHead } from '../head.ts'
import { write } from './io.ts'

let dateValue = ''
let dateSecond = -1
/** The Date field value, rebuilt at most once a second. */
export function httpDate (): string {
  const now = Date.now()
  const s = Math.floor(now / 1000)
  if (s !== dateSecond) { dateSecond = s; dateValue = new Date(now).toUTCString() }
  return dateValue
}

export function reasonOf (status: number): string {
  return STATUS_CODES[status] ?? ''
}

function has (headers: HeaderPair[], lower: string): boolean {
  for (const [name] of headers) if (name.length === lower.length && name.toLowerCase() === lower) return true
  return false
}

export interface AnswerOptions {
  status: number
  headers: HeaderPair[]
  body?: Buffer | Readable
  length?: number
  method: string
  clientVersion: 10 | 11
  keepAlive: boolean
  /** Edit the head before it is written (post_resp_filter). */
  filter?: (head: ResponseHead) => void
}

/**
 * Write a complete answer. Returns whether the connection may stay open (false when the body had
 * to be close-delimited) and the bytes written. Throws write errors.
 */
export async function writeAnswer (client: Duplex, a: AnswerOptions): Promise<{ keepAlive: boolean, bytes: number }> {
  const headers = a.headers.slice()
  const bodyless = a.method === 'HEAD' || a.status < 200 || a.status === 204 || a.status === 304
  let keepAlive = a.keepAlive
  let chunked = false
  let body = a.body
  if (!has(headers, 'date')) headers.push(['Date', httpDate()])
  if (Buffer.isBuffer(body)) {
    if (!has(headers, 'content-length') && a.status >= 200 && a.status !== 204) headers.push(['Content-Length', String(body.length)])
  } else if (body !== undefined) {
    if (a.length !== undefined) {
      if (!has(headers, 'content-length')) headers.push(['Content-Length', String(a.length)])
    } else if (!bodyless) {
      if (a.clientVersion === 11) { chunked = true; headers.push(['Transfer-Encoding', 'chunked']) } else keepAlive = false
    }
  } else if (a.status >= 200 && a.status !== 204 && a.status !== 304 && !has(headers, 'content-length')) {
    headers.push(['Content-Length', '0'])
  }
  const head: ResponseHead = { version: 11, status: a.status, reason: reasonOf(a.status), headers, bytes: 0 }
  a.filter?.(head)
  if (!keepAlive) head.headers.push(['Connection', 'close'])
  else if (a.clientVersion === 10) head.headers.push(['Connection', 'keep-alive'])
  const headBytes = serializeResponseHead(head)
  let bytes = headBytes.length
  if (bodyless || body === undefined) {
    if (body !== undefined && !Buffer.isBuffer(body)) body.destroy()
    await write(client, headBytes)
    return { keepAlive, bytes }
  }
  if (Buffer.isBuffer(body)) {
    await write(client, body.length > 0 && body.length < 16 * 1024 ? Buffer.concat([headBytes, body]) : headBytes)
    if (body.length >= 16 * 1024) await write(client, body)
    return { keepAlive, bytes: bytes + body.length }
  }
  await write(client, headBytes)
  try {
    for await (const c of body as AsyncIterable<Buffer | string>) {
      const chunk = typeof c === 'string' ? Buffer.from(c) : c
      if (chunk.length === 0) continue
      if (chunked) {
        await write(client, Buffer.from(chunk.length.toString(16) + '\r\n', 'latin1'))
        await write(client, chunk)
        await write(client, Buffer.from('\r\n', 'latin1'))
        bytes += chunk.length + 4 + chunk.length.toString(16).length
      } else {
        await write(client, chunk)
        bytes += chunk.length
      }
    }
  } finally {
    body.destroy()
  }
  if (chunked) { await write(client, Buffer.from('0\r\n\r\n', 'latin1')); bytes += 5 }
  return { keepAlive, bytes }
}
