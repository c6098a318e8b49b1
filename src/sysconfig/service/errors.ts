// Error registry of the system-config RPC service, its client and its access rules. The store's
// own codes (SYSCFG_ERR_EXISTS, SYSCFG_ERR_COMPACTED, ...) live in src/sysconfig/errors.ts; the
// service relays them to clients unchanged. Each code here carries the HTTP status it is sent
// with: 200 for protocol-level answers, 400/405/413 for requests that are not valid HTTP+JSON.
import { createError, createHttpError, type HttpError, type HttpErrorClass } from '../../core/errors.ts'

export type SysConfigRpcError = HttpError

export type SysConfigRpcErrorClass<A extends unknown[]> = HttpErrorClass<A>

const createRpcError = createHttpError

// Malformed HTTP: the request never reached a method.
export const SYSCFG_ERR_HTTP_METHOD = createRpcError<[string]>(
  'SYSCFG_ERR_HTTP_METHOD', 'HTTP method %s is not allowed; system-config calls are POST', 405)
export const SYSCFG_ERR_BODY_TOO_LARGE = createRpcError<[number]>(
  'SYSCFG_ERR_BODY_TOO_LARGE', 'request body exceeds %d bytes', 413, RangeError)
export const SYSCFG_ERR_BAD_JSON = createRpcError<[string]>(
  'SYSCFG_ERR_BAD_JSON', 'request body is not a JSON object: %s', 400, SyntaxError)

// Protocol-level answers (HTTP 200, `{error: {code, message}}`).
export const SYSCFG_ERR_BAD_ENVELOPE = createRpcError<[string]>(
  'SYSCFG_ERR_BAD_ENVELOPE', 'invalid request envelope: %s', 200, TypeError)
export const SYSCFG_ERR_UNKNOWN_METHOD = createRpcError<[string]>(
  'SYSCFG_ERR_UNKNOWN_METHOD', 'unknown method "%s"', 200)
export const SYSCFG_ERR_INVALID_PARAMS = createRpcError<[string, string]>(
  'SYSCFG_ERR_INVALID_PARAMS', 'invalid params for %s: %s', 200, TypeError)
export const SYSCFG_ERR_AUTH = createRpcError<[string]>(
  'SYSCFG_ERR_AUTH', 'authentication failed: %s', 200)
export const SYSCFG_ERR_FORBIDDEN = createRpcError<[string, string, string]>(
  'SYSCFG_ERR_FORBIDDEN', '%s may not %s "%s"', 200)
export const SYSCFG_ERR_INTERNAL = createRpcError<[string]>(
  'SYSCFG_ERR_INTERNAL', 'internal error (%s); see the server log', 200)

// Client side.
export const SYSCFG_ERR_TRANSPORT = createError<[string, string]>(
  'SYSCFG_ERR_TRANSPORT', 'system-config request to %s failed: %s')
export const SYSCFG_ERR_BAD_REPLY = createError<[string, string]>(
  'SYSCFG_ERR_BAD_REPLY', 'malformed reply from %s: %s')

// Access rules (rules.ts).
export const SYSCFG_ERR_RULES_INVALID = createError<[number, string]>(
  'SYSCFG_ERR_RULES_INVALID', 'access rule #%d: %s', TypeError)
