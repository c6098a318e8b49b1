// Errors of the HTTP/1 proxy engine. Like the codec's, each carries `httpStatus`: the answer the
// client gets when the error happens before any response byte was written to it.
import { httpError as engineError, type HttpCodecError } from '../errors.ts'

/** The engine's errors carry `httpStatus` the same way the codec's do. */
export type HttpEngineError = HttpCodecError

export const CHAIN_ERR_HTTP_HEAD_TIMEOUT = engineError<[number]>('CHAIN_ERR_HTTP_HEAD_TIMEOUT', 'client sent no complete request head within %d ms', 408)
export const CHAIN_ERR_HTTP_HEAD_INCOMPLETE = engineError<[string]>('CHAIN_ERR_HTTP_HEAD_INCOMPLETE', '%s closed in the middle of a head', 400)
export const CHAIN_ERR_HTTP_BODY_INCOMPLETE = engineError<[string]>('CHAIN_ERR_HTTP_BODY_INCOMPLETE', '%s closed in the middle of a body', 502)
export const CHAIN_ERR_HTTP_BODY_TIMEOUT = engineError<[string, number]>('CHAIN_ERR_HTTP_BODY_TIMEOUT', '%s sent no body bytes for %d ms', 408)
export const CHAIN_ERR_HTTP_UPSTREAM_UNREACHABLE = engineError<[]>('CHAIN_ERR_HTTP_UPSTREAM_UNREACHABLE', 'no upstream could be reached', 502)
export const CHAIN_ERR_HTTP_UPSTREAM_TIMEOUT = engineError<[string, number]>('CHAIN_ERR_HTTP_UPSTREAM_TIMEOUT', 'upstream %s sent no response head within %d ms', 504)
export const CHAIN_ERR_HTTP_UPSTREAM_CLOSED = engineError<[string]>('CHAIN_ERR_HTTP_UPSTREAM_CLOSED', 'upstream %s closed before a complete response head', 502)
export const CHAIN_ERR_HTTP_MISDIRECTED = engineError<[string]>('CHAIN_ERR_HTTP_MISDIRECTED', 'route %s takes whole connections (tls_terminate or zone), which cannot happen in the middle of an HTTP connection', 421)
export const CHAIN_ERR_HTTP_NO_ROUTE = engineError<[string]>('CHAIN_ERR_HTTP_NO_ROUTE', 'no route for %s', 404)
export const CHAIN_ERR_HTTP_LOCAL_FAILED = engineError<[string]>('CHAIN_ERR_HTTP_LOCAL_FAILED', 'local answer of route %s failed', 500)
