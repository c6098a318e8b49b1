// HTTP/1 heads (RFC 9112 §2-§5), parsed as strictly as llhttp's strict mode: one indexOf for the
// end of the head, then one pass over its lines with table lookups on byte values. Strings are
// cut as latin1 so every byte survives a parse → serialize round trip unchanged.
// The API is stateless (the caller retries with more bytes), so limits are checked on every call
// and a head that cannot end within them fails at once instead of being buffered.
import { isIPv6 } from 'node:net'
import type { HttpRequestFacts } from '../types.ts'
import type { HeaderPair, HeadLimits, HeadResult, RequestHead, ResponseHead } from './types.ts'
import {
  CHAIN_ERR_HTTP_BAD_HEAD, CHAIN_ERR_HTTP_BAD_HOST, CHAIN_ERR_HTTP_HEAD_TOO_LARGE,
  CHAIN_ERR_HTTP_INVALID_HEADER, CHAIN_ERR_HTTP_VERSION
} from './errors.ts'

export const DEFAULT_MAX_HEAD_BYTES = 16 * 1024
export const DEFAULT_MAX_HEADERS = 100
/** Longest method we wait for; longer token runs are not HTTP (the probe gives up early). */
export const MAX_METHOD_LENGTH = 20

const CR = 13
const LF = 10
const SP = 32
const HT = 9
const COLON = 58
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1')
const NEED_MORE = Object.freeze({ status: 'need_more' as const })
const NOT_HTTP = Object.freeze({ status: 'not_http' as const })

/** 1 for tchar (RFC 9110 §5.6.2): method and field names. */
export const TCHAR = new Uint8Array(256)
/** 1 for bytes allowed in a field value or reason phrase: HTAB, SP, VCHAR, obs-text. */
export const FIELD_CHAR = new Uint8Array(256)
/** 1 for bytes allowed in a request-target: VCHAR and obs-text (no SP, no controls). */
const TARGET_CHAR = new Uint8Array(256)
/** 1 for reg-name bytes of a Host (unreserved, sub-delims, '%'). */
const REG_NAME_CHAR = new Uint8Array(256)
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1
for (const c of "-._~!$&'()*+,;=%0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") REG_NAME_CHAR[c.charCodeAt(0)] = 1
for (let c = 0x21; c < 0x100; c++) if (c !== 0x7f) { TARGET_CHAR[c] = 1; FIELD_CHAR[c] = 1 }
FIELD_CHAR[SP] = 1
FIELD_CHAR[HT] = 1

/**
 * Parse a request head from the bytes received so far. 'not_http' is decided from the first bytes
 * (no token method of at most 20 chars followed by SP), so a TLS client is never kept waiting.
 */
export function parseRequestHead (buf: Buffer, limits?: HeadLimits): HeadResult<RequestHead> {
  const len = buf.length
  let i = 0
  while (i < len && TCHAR[buf[i]] === 1) {
    if (++i > MAX_METHOD_LENGTH) return NOT_HTTP
  }
  if (i === len) return NEED_MORE
  if (i === 0 || buf[i] !== SP) return NOT_HTTP

  const maxHeaders = limits?.maxHeaders ?? DEFAULT_MAX_HEADERS
  const end = findHeadEnd(buf, limits?.maxBytes ?? DEFAULT_MAX_HEAD_BYTES, maxHeaders)
  if (end < 0) return NEED_MORE

  const method = buf.toString('latin1', 0, i)
  let p = i + 1
  const targetStart = p
  while (TARGET_CHAR[buf[p]] === 1) p++
  if (p === targetStart) throw new CHAIN_ERR_HTTP_BAD_HEAD('empty request-target')
  if (buf[p] !== SP) throw new CHAIN_ERR_HTTP_BAD_HEAD('invalid character in request-target')
  const target = buf.toString('latin1', targetStart, p)
  const version = parseVersion(buf, p + 1)
  p += 9
  if (buf[p] !== CR || buf[p + 1] !== LF) throw new CHAIN_ERR_HTTP_BAD_HEAD('request line does not end in CRLF after the version')

  const headers: HeaderPair[] = []
  const hosts = parseFields(buf, p + 2, end + 2, maxHeaders, headers, true)
  if (hosts > 1) throw new CHAIN_ERR_HTTP_BAD_HOST('more than one Host header')
  if (hosts === 0 && version === 11) throw new CHAIN_ERR_HTTP_BAD_HOST('HTTP/1.1 request without Host')
  return { status: 'done', head: { method, target, version, headers, bytes: end + 4 } }
}

/**
 * Parse a response head from the bytes received so far; never 'not_http' (bytes that cannot start
 * a status line are an error at once). Errors carry httpStatus 502: the upstream is at fault.
 */
export function parseResponseHead (buf: Buffer, limits?: HeadLimits): HeadResult<ResponseHead> {
  try {
    return parseResponse(buf, limits)
  } catch (err) {
    if (typeof (err as { httpStatus?: unknown }).httpStatus === 'number') (err as { httpStatus: number }).httpStatus = 502
    throw err
  }
}

const HTTP_SLASH = [72, 84, 84, 80, 47] // "HTTP/"

function parseResponse (buf: Buffer, limits?: HeadLimits): HeadResult<ResponseHead> {
  const len = buf.length
  for (let i = 0; i < 5 && i < len; i++) {
    if (buf[i] !== HTTP_SLASH[i]) throw new CHAIN_ERR_HTTP_BAD_HEAD('status line does not start with HTTP/')
  }
  const maxHeaders = limits?.maxHeaders ?? DEFAULT_MAX_HEADERS
  const end = findHeadEnd(buf, limits?.maxBytes ?? DEFAULT_MAX_HEAD_BYTES, maxHeaders)
  if (end < 0) return NEED_MORE

  const version = parseVersion(buf, 0)
  const d0 = buf[9] - 48
  const d1 = buf[10] - 48
  const d2 = buf[11] - 48
  if (buf[8] !== SP || d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) throw new CHAIN_ERR_HTTP_BAD_HEAD('bad status code')
  const status = d0 * 100 + d1 * 10 + d2
  let p = 12
  let reason = ''
  if (buf[p] === SP) { // "HTTP/1.1 200\r\n" without the SP is accepted, as RFC 9112 §4 asks
    const start = ++p
    while (buf[p] !== CR && FIELD_CHAR[buf[p]] === 1) p++
    reason = buf.toString('latin1', start, p)
  }
  if (buf[p] !== CR || buf[p + 1] !== LF) throw new CHAIN_ERR_HTTP_BAD_HEAD('invalid character in status line')

  const headers: HeaderPair[] = []
  parseFields(buf, p + 2, end + 2, maxHeaders, headers, false)
  return { status: 'done', head: { version, status, reason, headers, bytes: end + 4 } }
}

/**
 * Index of the CRLF CRLF ending the head, or -1 while it may still come. Throws "too large" when
 * it cannot end within maxBytes or more than maxHeaders lines arrived; a bare LF (which would
 * never complete a CRLF CRLF) fails at once rather than waiting for the limit.
 */
function findHeadEnd (buf: Buffer, maxBytes: number, maxHeaders: number): number {
  const len = buf.length
  const end = len > maxBytes ? buf.subarray(0, maxBytes).indexOf(HEAD_END) : buf.indexOf(HEAD_END)
  if (end >= 0) return end
  if (len >= maxBytes) throw new CHAIN_ERR_HTTP_HEAD_TOO_LARGE('maxBytes', maxBytes)
  let lines = 0
  for (let lf = buf.indexOf(LF); lf >= 0; lf = buf.indexOf(LF, lf + 1)) {
    if (lf === 0 || buf[lf - 1] !== CR) throw new CHAIN_ERR_HTTP_BAD_HEAD('bare LF')
    if (++lines > maxHeaders + 1) throw new CHAIN_ERR_HTTP_HEAD_TOO_LARGE('maxHeaders', maxHeaders)
  }
  return -1
}

/** "HTTP/1.0" or "HTTP/1.1" at p; another well-formed version is a 505, anything else a 400. */
function parseVersion (buf: Buffer, p: number): 10 | 11 {
  const major = buf[p + 5] - 48
  const minor = buf[p + 7] - 48
  if (buf[p] !== 72 || buf[p + 1] !== 84 || buf[p + 2] !== 84 || buf[p + 3] !== 80 || buf[p + 4] !== 47 ||
    buf[p + 6] !== 46 || !(major >= 0 && major <= 9) || !(minor >= 0 && minor <= 9)) {
    throw new CHAIN_ERR_HTTP_BAD_HEAD('bad HTTP version')
  }
  if (major !== 1 || minor > 1) throw new CHAIN_ERR_HTTP_VERSION(`HTTP/${major}.${minor}`)
  return minor === 0 ? 10 : 11
}

/**
 * Field lines from p up to stop (the byte after the last line's CRLF), appended to out. Returns
 * how many Host fields there were (each validated) when checkHost is set.
 */
function parseFields (buf: Buffer, p: number, stop: number, maxHeaders: number, out: HeaderPair[], checkHost: boolean): number {
  let hosts = 0
  while (p < stop) {
    const nameStart = p
    while (TCHAR[buf[p]] === 1) p++
    if (p === nameStart) {
      throw new CHAIN_ERR_HTTP_BAD_HEAD(buf[p] === SP || buf[p] === HT ? 'obs-fold or whitespace before a field name' : 'empty field name')
    }
    if (buf[p] !== COLON) throw new CHAIN_ERR_HTTP_BAD_HEAD('invalid character in field name')
    const nameEnd = p++
    while (buf[p] === SP || buf[p] === HT) p++
    const valueStart = p
    let valueEnd = p
    for (let c = buf[p]; c !== CR; c = buf[++p]) {
      if (FIELD_CHAR[c] !== 1) throw new CHAIN_ERR_HTTP_BAD_HEAD('invalid character in field value')
      if (c !== SP && c !== HT) valueEnd = p + 1
    }
    if (buf[p + 1] !== LF) throw new CHAIN_ERR_HTTP_BAD_HEAD('bare CR')
    p += 2
    if (out.length >= maxHeaders) throw new CHAIN_ERR_HTTP_HEAD_TOO_LARGE('maxHeaders', maxHeaders)
    if (checkHost && nameEnd - nameStart === 4 && (buf[nameStart] | 0x20) === 104 && (buf[nameStart + 1] | 0x20) === 111 &&
      (buf[nameStart + 2] | 0x20) === 115 && (buf[nameStart + 3] | 0x20) === 116) {
      hosts++
      if (!validHost(buf, valueStart, valueEnd)) throw new CHAIN_ERR_HTTP_BAD_HOST(JSON.stringify(buf.toString('latin1', valueStart, valueEnd)))
    }
    out.push([buf.toString('latin1', nameStart, nameEnd), buf.toString('latin1', valueStart, valueEnd)])
  }
  return hosts
}

/** Host = uri-host [ ":" port ] (RFC 9110 §7.2); an empty value is allowed. */
function validHost (buf: Buffer, s: number, e: number): boolean {
  if (s === e) return true
  let p = s
  if (buf[p] === 91) { // '['
    const close = buf.indexOf(93, p)
    if (close < 0 || close >= e || !isIPv6(buf.toString('latin1', p + 1, close))) return false
    p = close + 1
  } else {
    while (p < e && REG_NAME_CHAR[buf[p]] === 1) p++
    if (p === s) return false
  }
  if (p === e) return true
  if (buf[p] !== COLON || e - p - 1 > 5) return false
  for (p++; p < e; p++) if (buf[p] < 48 || buf[p] > 57) return false
  return true
}

type Headers = ReadonlyArray<readonly [string, string]>

/** Bytes of a request head; throws CHAIN_ERR_HTTP_INVALID_HEADER for anything that would not parse back. */
export function serializeRequestHead (head: { method: string, target: string, version: 10 | 11, headers: Headers }): Buffer {
  if (!isToken(head.method)) throw new CHAIN_ERR_HTTP_INVALID_HEADER(`method ${JSON.stringify(head.method)}`)
  if (!matches(head.target, TARGET_CHAR) || head.target.length === 0) throw new CHAIN_ERR_HTTP_INVALID_HEADER(`request-target ${JSON.stringify(head.target)}`)
  return finish(`${head.method} ${head.target} HTTP/1.${head.version === 10 ? 0 : 1}\r\n`, head.headers)
}

/** Bytes of a response head (the reason may be empty). */
export function serializeResponseHead (head: { version: 10 | 11, status: number, reason: string, headers: Headers }): Buffer {
  const { status, reason } = head
  if (!Number.isInteger(status) || status < 100 || status > 999) throw new CHAIN_ERR_HTTP_INVALID_HEADER(`status ${status}`)
  if (!matches(reason, FIELD_CHAR)) throw new CHAIN_ERR_HTTP_INVALID_HEADER(`reason ${JSON.stringify(reason)}`)
  return finish(`HTTP/1.${head.version === 10 ? 0 : 1} ${status} ${reason}\r\n`, head.headers)
}

function finish (s: string, headers: Headers): Buffer {
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]
    if (!isToken(name)) throw new CHAIN_ERR_HTTP_INVALID_HEADER(`name ${JSON.stringify(name)}`)
    if (!matches(value, FIELD_CHAR)) throw new CHAIN_ERR_HTTP_INVALID_HEADER(`value of ${name}`)
    s += name + ': ' + value + '\r\n'
  }
  return Buffer.from(s + '\r\n', 'latin1')
}

function isToken (s: string): boolean {
  return s.length > 0 && matches(s, TCHAR)
}

/** Every char is a byte the table allows (chars above 0xff would not survive latin1). */
function matches (s: string, table: Uint8Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff || table[c] !== 1) return false
  }
  return true
}

/** First value of the named field; lowerName must be lower-case. */
export function headerValue (headers: ReadonlyArray<readonly [string, string]>, lowerName: string): string | undefined {
  for (let i = 0; i < headers.length; i++) {
    const name = headers[i][0]
    if (name.length === lowerName.length && (name === lowerName || name.toLowerCase() === lowerName)) return headers[i][1]
  }
  return undefined
}

/** The facts matchers see: path/query split, host from absolute-form or Host, lower-case names. */
export function requestFacts (head: RequestHead): HttpRequestFacts {
  const { method, target, version } = head
  const headers = head.headers.map(([n, v]) => [n.toLowerCase(), v] as const)
  let pathAndQuery = target
  let authority: string | undefined
  if (target.charCodeAt(0) !== 47) { // not origin-form
    const scheme = target.indexOf('://')
    if (scheme > 0) { // absolute-form
      const start = scheme + 3
      let stop = start
      while (stop < target.length && !'/?#'.includes(target[stop])) stop++
      const at = stop > start ? target.lastIndexOf('@', stop - 1) : -1 // userinfo is dropped
      authority = target.slice(at >= start ? at + 1 : start, stop)
      pathAndQuery = target.slice(stop)
      if (pathAndQuery.length === 0 || pathAndQuery.charCodeAt(0) === 63) pathAndQuery = '/' + pathAndQuery
    } else if (target === '*') {
      pathAndQuery = '*'
    } else if (method === 'CONNECT') { // authority-form: no path
      authority = target
      pathAndQuery = ''
    }
  }
  const hash = pathAndQuery.indexOf('#')
  if (hash >= 0) pathAndQuery = pathAndQuery.slice(0, hash)
  const q = pathAndQuery.indexOf('?')
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q)
  const query = q < 0 ? '' : pathAndQuery.slice(q + 1)
  const host = hostOnly(authority ?? headerValue(headers, 'host'))
  const facts: HttpRequestFacts = { method, target, path, query, version, headers }
  if (host !== undefined) facts.host = host
  return facts
}

/** "Example.COM:80" → "example.com", "[::1]:80" → "[::1]"; undefined for absent or empty. */
function hostOnly (authority: string | undefined): string | undefined {
  if (authority === undefined || authority.length === 0) return undefined
  let host = authority
  if (host.charCodeAt(0) === 91) {
    const close = host.indexOf(']')
    if (close > 0) host = host.slice(0, close + 1)
  } else {
    const colon = host.indexOf(':')
    if (colon >= 0) host = host.slice(0, colon)
  }
  return host.length === 0 ? undefined : host.toLowerCase()
}
