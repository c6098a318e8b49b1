// Errors of the HTTP/1 codec. Each carries `httpStatus`, the answer the engine sends the client:
// the class default is for a bad request; parseResponseHead/responseFraming overwrite it with 502
// on the instance, because a malformed upstream response is the upstream's fault, not the client's.
import { createError, type GatewayError } from '../../core/errors.ts'

export interface HttpCodecError extends GatewayError {
  /** Status the engine answers with (400, 431, 505, 502 for upstream faults, 500 for our own). */
  httpStatus: number
}

export interface HttpErrorClass<A extends unknown[]> {
  new (...args: [...A] | [...A, { cause?: unknown }]): HttpCodecError
  readonly code: string
  readonly prototype: HttpCodecError
}

/** createError plus a default `httpStatus` on the prototype (writable, so an instance may shadow it). */
export function httpError<A extends unknown[]> (code: string, template: string, httpStatus: number, Base?: ErrorConstructor): HttpErrorClass<A> {
  const C = createError<A>(code, template, Base)
  Object.defineProperty(C.prototype, 'httpStatus', { value: httpStatus, writable: true, configurable: true })
  return C as unknown as HttpErrorClass<A>
}

export const CHAIN_ERR_HTTP_BAD_HEAD = httpError<[string]>('CHAIN_ERR_HTTP_BAD_HEAD', 'malformed HTTP/1 head: %s', 400)
export const CHAIN_ERR_HTTP_HEAD_TOO_LARGE = httpError<[string, number]>('CHAIN_ERR_HTTP_HEAD_TOO_LARGE', 'HTTP/1 head exceeds %s %d', 431, RangeError)
export const CHAIN_ERR_HTTP_VERSION = httpError<[string]>('CHAIN_ERR_HTTP_VERSION', 'unsupported HTTP version %s', 505)
export const CHAIN_ERR_HTTP_BAD_HOST = httpError<[string]>('CHAIN_ERR_HTTP_BAD_HOST', 'bad Host: %s', 400)
export const CHAIN_ERR_HTTP_BAD_FRAMING = httpError<[string]>('CHAIN_ERR_HTTP_BAD_FRAMING', 'ambiguous or invalid message framing: %s', 400)
export const CHAIN_ERR_HTTP_BAD_CHUNK = httpError<[string]>('CHAIN_ERR_HTTP_BAD_CHUNK', 'malformed chunked body: %s', 400)
export const CHAIN_ERR_HTTP_CHUNK_LINE_TOO_LONG = httpError<[string, number]>('CHAIN_ERR_HTTP_CHUNK_LINE_TOO_LONG', 'chunked %s longer than %d bytes', 400, RangeError)
export const CHAIN_ERR_HTTP_INVALID_HEADER = httpError<[string]>('CHAIN_ERR_HTTP_INVALID_HEADER', 'cannot serialize header: %s', 500, TypeError)
