// One JSON request to the SN and the decoding of its answer. node:http(s) directly rather than
// fetch: fetch can trust an extra CA only through an undici dispatcher, and the undici inside Node
// is not importable, while https.request takes `ca` per request (no process-wide change).
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https'
import { isIP } from 'node:net'
import { ZONE_ERR_BAD_RESPONSE, ZONE_ERR_SN, ZONE_ERR_TIMEOUT, ZONE_ERR_UNREACHABLE, ZONE_ERR_INVALID } from './errors.ts'

/** Cap on an SN answer; the SN's own answers are small JSON documents. */
export const MAX_ANSWER_BYTES = 1024 * 1024
/** SN messages are shown to people: at most this many characters of them are kept. */
const MAX_MESSAGE_CHARS = 300
const SN_CODE = /^[A-Z][A-Z0-9_]{0,63}$/

export interface SnHttpInit {
  /** Base URL of the SN API, e.g. https://sn.test:8443 (http: is accepted for loopback tests). */
  url: string
  /** PEM of a CA to trust for this SN only (e.g. pebble's or a test root). */
  ca?: string
  /** Whole-request deadline. */
  timeoutMs: number
  /** Dial this address instead of the URL's host (the URL's host still names the TLS server and Host). */
  connectTo?: { host: string, port: number }
}

export interface SnAnswer { status: number, body: Buffer }

export interface SnHttp {
  readonly origin: string
  /** Send `body` as JSON; resolve with the decoded 2xx answer, reject with a coded error. */
  call (method: string, path: string, body?: unknown, bearer?: string): Promise<Record<string, unknown>>
  /** The raw exchange: any status resolves. */
  send (method: string, path: string, body?: unknown, bearer?: string): Promise<SnAnswer>
  close (): void
}

export function createSnHttp (init: SnHttpInit): SnHttp {
  let base: URL
  try {
    base = new URL(init.url)
  } catch (err) {
    throw new ZONE_ERR_INVALID(`SN URL "${init.url}" is not a URL`, { cause: err })
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new ZONE_ERR_INVALID(`SN URL "${init.url}" must be https://`)
  const secure = base.protocol === 'https:'
  const origin = base.origin
  const prefix = base.pathname.replace(/\/+$/, '')
  // Own agent: the CA stays with this client, and no keep-alive (reports are minutes apart).
  const agent = secure ? new HttpsAgent({ keepAlive: false, ca: init.ca }) : undefined
  const hostname = base.hostname.replace(/^\[(.*)\]$/, '$1')
  const port = base.port === '' ? (secure ? 443 : 80) : Number(base.port)

  function send (method: string, path: string, body?: unknown, bearer?: string): Promise<SnAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const headers: Record<string, string> = { accept: 'application/json', host: base.host }
    if (payload !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(payload.byteLength)
    }
    if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`
    const options = {
      method,
      host: init.connectTo?.host ?? hostname,
      port: init.connectTo?.port ?? port,
      path: prefix + path,
      headers,
      ...(secure ? { agent, ca: init.ca, servername: isIP(hostname) === 0 ? hostname : undefined } : {})
    }
    return new Promise((resolve, reject) => {
      let settled = false
      const finish = (err: Error | undefined, answer?: SnAnswer): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        if (err !== undefined) {
          req.destroy()
          reject(err)
        } else {
          resolve(answer as SnAnswer)
        }
      }
      const req = (secure ? httpsRequest : httpRequest)(options, (res: IncomingMessage) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.byteLength
          if (size > MAX_ANSWER_BYTES) {
            finish(new ZONE_ERR_BAD_RESPONSE(origin, `answer larger than ${MAX_ANSWER_BYTES} bytes`))
            res.destroy()
            return
          }
          chunks.push(chunk)
        })
        res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
        res.on('error', (err) => finish(new ZONE_ERR_UNREACHABLE(origin, describe(err), { cause: err })))
        // 'close' before 'end': the connection dropped mid-answer (after 'end' this is a no-op).
        res.on('close', () => finish(new ZONE_ERR_UNREACHABLE(origin, 'the answer was cut off')))
      })
      const timer = setTimeout(() => finish(new ZONE_ERR_TIMEOUT(origin, init.timeoutMs)), init.timeoutMs)
      req.on('error', (err) => finish(new ZONE_ERR_UNREACHABLE(origin, describe(err), { cause: err })))
      req.end(payload)
    })
  }

  return {
    origin,
    send,
    async call (method, path, body, bearer) {
      const answer = await send(method, path, body, bearer)
      return decodeSnAnswer(origin, answer.status, answer.body)
    },
    close () { agent?.destroy() }
  }
}

function describe (err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return code === undefined ? err.message : `${code} (${err.message})`
}

/**
 * Decode an SN answer (untrusted bytes). 2xx: the JSON object (an empty body is `{}`). Otherwise a
 * ZONE_ERR_SN carrying the SN's `{error: {code, message}}`, or HTTP_<status> when the body is not
 * that shape. Anything unusable is ZONE_ERR_BAD_RESPONSE; nothing else is thrown.
 */
export function decodeSnAnswer (origin: string, status: number, body: Uint8Array): Record<string, unknown> {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
  if (status >= 200 && status < 300) {
    if (text.trim() === '') return {}
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      throw new ZONE_ERR_BAD_RESPONSE(origin, `status ${status} with a body that is not JSON`, { cause: err })
    }
    if (!isObject(value)) throw new ZONE_ERR_BAD_RESPONSE(origin, `status ${status} with JSON that is not an object`)
    return value
  }
  let code = `HTTP_${status}`
  let message = printable(text) || 'no error details'
  try {
    const value: unknown = JSON.parse(text)
    const error = isObject(value) ? value.error : undefined
    if (isObject(error) && typeof error.code === 'string' && SN_CODE.test(error.code)) {
      code = error.code
      message = typeof error.message === 'string' ? printable(error.message) : ''
    }
  } catch {
    // Not JSON (a proxy's HTML page, say): keep the status code and the start of the text.
  }
  throw new ZONE_ERR_SN(status, code, message)
}

export function isObject (value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Peer text for a terminal or a log line: no control characters, bounded length. */
export function printable (text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ').trim()
  return clean.length > MAX_MESSAGE_CHARS ? clean.slice(0, MAX_MESSAGE_CHARS - 3) + '...' : clean
}
