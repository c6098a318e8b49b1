// Reads a JSON request body with a hard byte limit: a declared content-length over the limit is
// refused before reading, and a body that grows past it stops being buffered at once.
import type { IncomingMessage } from 'node:http'
import { SN_ERR_BAD_JSON, SN_ERR_BAD_REQUEST, SN_ERR_BODY_TOO_LARGE } from '../errors.ts'

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024

/** The raw body, at most `limit` bytes (SN_ERR_BODY_TOO_LARGE otherwise). */
export function readBody (req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new SN_ERR_BODY_TOO_LARGE(limit))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    const finish = (err?: Error): void => {
      if (done) return
      done = true
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
      if (err !== undefined) {
        // Let the rest of the body drain; the answer goes out with connection: close.
        req.resume()
        reject(err)
      } else {
        resolve(Buffer.concat(chunks, size))
      }
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) finish(new SN_ERR_BODY_TOO_LARGE(limit))
      else chunks.push(chunk)
    }
    const onEnd = (): void => finish()
    const onError = (err: Error): void => finish(err)
    const onClose = (): void => finish(new SN_ERR_BAD_REQUEST('request closed before its body ended'))
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}

/** The body parsed as a JSON object (arrays, scalars and empty bodies are refused). */
export async function readJsonObject (req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const raw = await readBody(req, limit)
  let value: unknown
  try {
    value = JSON.parse(raw.toString('utf8'))
  } catch (err) {
    throw new SN_ERR_BAD_JSON((err as Error).message.slice(0, 120), { cause: err })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SN_ERR_BAD_REQUEST('the body must be a JSON object')
  return value as Record<string, unknown>
}
