// JSON-RPC over HTTP POST, the plumbing the zone's RPC endpoints share (system-config, verify-hub):
// read a bounded body, parse the `{method, params, sys: [seq, ...]}` envelope, answer
// `{result | error, sys: [seq]}`. Each area passes its own error classes and code prefix, so its
// callers keep seeing its stable codes (SYSCFG_ERR_*, VHUB_ERR_*); what a method does, how callers
// are authenticated and which headers an error adds stay with the area.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { GatewayErrorClass } from './errors.ts'

/** The caller's sequence number, echoed in `sys`; null when the request carried none. */
export type RpcSeq = number | null

/** The error object on the wire; areas may add fields (system-config's compaction revisions). */
export interface RpcErrorBody { code: string, message: string }

/** The area's coded errors for a request that is not a bounded JSON object. */
export interface RpcBodyErrors {
  BodyTooLarge: GatewayErrorClass<[max: number]>
  BadJson: GatewayErrorClass<[detail: string]>
  /** Cut the JSON parser's message to this many characters (default: keep it whole). */
  maxDetailChars?: number
}

export interface RpcEnvelope {
  method: unknown
  params: unknown
  /** An integer sys[0], or null. */
  seq: RpcSeq
  /** `sys` when it is [seq] or [seq, extra] with an integer seq; undefined otherwise (a bad envelope). */
  sys?: unknown[]
}

export function replyJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

/** The request body as a JSON object; BodyTooLarge past `max` bytes, BadJson for anything else. */
export async function readJsonObject (req: IncomingMessage, max: number, errors: RpcBodyErrors): Promise<Record<string, unknown>> {
  const buf = await readBody(req, max, errors)
  let value: unknown
  try {
    value = JSON.parse(buf.toString('utf8'))
  } catch (err) {
    const message = (err as Error).message
    throw new errors.BadJson(errors.maxDetailChars === undefined ? message : message.slice(0, errors.maxDetailChars), { cause: err })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new errors.BadJson(`got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`)
  return value as Record<string, unknown>
}

function readBody (req: IncomingMessage, max: number, errors: RpcBodyErrors): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > max) {
      reject(new errors.BodyTooLarge(max))
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > max) {
        // Stop buffering at once; the 413 goes out with `connection: close`.
        cleanup()
        req.pause()
        reject(new errors.BodyTooLarge(max))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => { cleanup(); resolve(Buffer.concat(chunks, size)) }
    const onError = (err: Error): void => { cleanup(); reject(err) }
    function cleanup (): void {
      req.off('data', onData); req.off('end', onEnd); req.off('error', onError)
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
  })
}

/** The envelope of a parsed body. seq is read even from a bad envelope, so its error can echo it. */
export function rpcEnvelope (body: Record<string, unknown>): RpcEnvelope {
  const sys = body.sys
  const seq = Array.isArray(sys) && typeof sys[0] === 'number' && Number.isSafeInteger(sys[0]) ? sys[0] : null
  const valid = Array.isArray(sys) && sys.length >= 1 && sys.length <= 2 && seq !== null
  return { method: body.method, params: body.params, seq, ...(valid ? { sys } : {}) }
}

/**
 * The wire error for `err`: the area's own coded errors (code starting with `prefix`) as they are,
 * with their httpStatus (200 when they carry none); anything else as the area's internal error,
 * HTTP 200, its detail only the code or name (`coded: false`: the caller logs it).
 */
export function rpcErrorOf (err: unknown, prefix: string, Internal: GatewayErrorClass<[detail: string]>): { coded: boolean, error: RpcErrorBody, status: number } {
  const code = (err as { code?: unknown }).code
  const coded = typeof code === 'string' && code.startsWith(prefix)
  if (!coded) {
    const internal = new Internal((err as { code?: string }).code ?? (err as Error)?.name ?? 'error')
    return { coded, error: { code: internal.code, message: internal.message }, status: 200 }
  }
  const status = (err as { httpStatus?: unknown }).httpStatus
  return { coded, error: { code, message: (err as Error).message }, status: typeof status === 'number' ? status : 200 }
}
