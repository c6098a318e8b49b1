// Where a message body ends (RFC 9112 §6.3), decided from the head alone. Requests are judged
// strictly because a proxy that frames a request differently from its upstream lets a client
// smuggle a second request past the routing: every ambiguity is a 400.
import type { BodyFraming, HeaderPair, RequestHead, ResponseHead } from './types.ts'
import { CHAIN_ERR_HTTP_BAD_FRAMING } from './errors.ts'

const NONE: BodyFraming = Object.freeze({ kind: 'none' })
const CHUNKED: BodyFraming = Object.freeze({ kind: 'chunked' })
const UNTIL_CLOSE: BodyFraming = Object.freeze({ kind: 'until_close' })
/** Longer Content-Length digit runs could lose precision as a number. */
const MAX_LENGTH_DIGITS = 15

interface FramingFields {
  /** Transfer-Encoding values joined with ", ", or undefined when absent. */
  te?: string
  /** Content-Length values (each may be a list), in order. */
  cl?: string[]
}

/** One pass over the headers collecting Transfer-Encoding and Content-Length. */
function framingFields (headers: HeaderPair[]): FramingFields {
  const out: FramingFields = {}
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0]
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      out.te = out.te === undefined ? headers[i][1] : `${out.te}, ${headers[i][1]}`
    } else if (name.length === 14 && name.toLowerCase() === 'content-length') {
      (out.cl ??= []).push(headers[i][1])
    }
  }
  return out
}

/** Is chunked the final coding (and applied only once)? Throws on an empty or repeated chunked list. */
function chunkedIsFinal (te: string): boolean {
  const codings = te.split(',')
  let last = ''
  let chunkedSeen = false
  for (let i = 0; i < codings.length; i++) {
    const c = codings[i].trim().toLowerCase()
    if (c.length === 0) continue // empty list elements are allowed (RFC 9110 §5.6.1)
    if (chunkedSeen) throw new CHAIN_ERR_HTTP_BAD_FRAMING('a coding after chunked')
    const name = c.split(';', 1)[0].trim()
    if (name === 'chunked') chunkedSeen = true
    last = name
  }
  if (last.length === 0) throw new CHAIN_ERR_HTTP_BAD_FRAMING('empty Transfer-Encoding')
  return last === 'chunked'
}

/** The single length all Content-Length values agree on ("5, 5" is one length). */
function contentLength (values: string[]): number {
  let length = -1
  for (const value of values) {
    for (const part of value.split(',')) {
      const digits = part.trim()
      if (digits.length === 0 || digits.length > MAX_LENGTH_DIGITS) throw new CHAIN_ERR_HTTP_BAD_FRAMING(`Content-Length ${JSON.stringify(value)}`)
      let n = 0
      for (let i = 0; i < digits.length; i++) {
        const d = digits.charCodeAt(i) - 48
        if (d < 0 || d > 9) throw new CHAIN_ERR_HTTP_BAD_FRAMING(`Content-Length ${JSON.stringify(value)}`)
        n = n * 10 + d
      }
      if (length >= 0 && n !== length) throw new CHAIN_ERR_HTTP_BAD_FRAMING('Content-Length values differ')
      length = n
    }
  }
  return length
}

/** Body framing of a request; throws CHAIN_ERR_HTTP_BAD_FRAMING (httpStatus 400) on any ambiguity. */
export function requestFraming (head: RequestHead): BodyFraming {
  const { te, cl } = framingFields(head.headers)
  if (te !== undefined) {
    if (head.version === 10) throw new CHAIN_ERR_HTTP_BAD_FRAMING('Transfer-Encoding in HTTP/1.0')
    if (cl !== undefined) throw new CHAIN_ERR_HTTP_BAD_FRAMING('both Transfer-Encoding and Content-Length')
    if (!chunkedIsFinal(te)) throw new CHAIN_ERR_HTTP_BAD_FRAMING('final transfer coding is not chunked')
    return CHUNKED
  }
  if (cl !== undefined) return { kind: 'length', length: contentLength(cl) }
  return NONE
}

/**
 * Body framing of a response to `requestMethod`. Transfer-Encoding overrides Content-Length
 * (RFC 9112 §6.3 rule 3; the engine should drop the Content-Length and not reuse the upstream
 * connection); TE without a final chunked or in HTTP/1.0 means the body runs until close.
 * Errors carry httpStatus 502.
 */
export function responseFraming (head: ResponseHead, requestMethod: string): BodyFraming {
  const status = head.status
  if (requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304) return NONE
  if (requestMethod === 'CONNECT' && status < 300) return NONE // the connection becomes a tunnel
  try {
    const { te, cl } = framingFields(head.headers)
    if (te !== undefined) return head.version === 11 && chunkedIsFinal(te) ? CHUNKED : UNTIL_CLOSE
    if (cl !== undefined) return { kind: 'length', length: contentLength(cl) }
    return UNTIL_CLOSE
  } catch (err) {
    (err as { httpStatus: number }).httpStatus = 502
    throw err
  }
}

/**
 * Whether the connection stays open after this message: HTTP/1.1 unless "Connection: close",
 * HTTP/1.0 only with "Connection: keep-alive". close wins over keep-alive.
 */
export function wantsKeepAlive (version: 10 | 11, headers: HeaderPair[]): boolean {
  let keepAlive = false
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0]
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue
    const tokens = headers[i][1].split(',')
    for (let j = 0; j < tokens.length; j++) {
      const token = tokens[j].trim().toLowerCase()
      if (token === 'close') return false
      if (token === 'keep-alive') keepAlive = true
    }
  }
  return version === 11 || keepAlive
}
