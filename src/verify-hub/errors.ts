// Error registry of the zone's token issuer (verify-hub). Each code carries the HTTP status its
// RPC answer is sent with: 200 for protocol-level answers (`{error: {code, message}}`), 400/405/
// 413 for requests that are not valid HTTP+JSON, 429 when a client address is rate limited.
import { createHttpError, type HttpError, type HttpErrorClass } from '../core/errors.ts'

export type VerifyHubError = HttpError

export type VerifyHubErrorClass<A extends unknown[]> = HttpErrorClass<A>

const createHubError = createHttpError

// Malformed HTTP: the request never reached a method.
export const VHUB_ERR_HTTP_METHOD = createHubError<[string]>(
  'VHUB_ERR_HTTP_METHOD', 'HTTP method %s is not allowed; verify-hub calls are POST', 405)
export const VHUB_ERR_BODY_TOO_LARGE = createHubError<[number]>(
  'VHUB_ERR_BODY_TOO_LARGE', 'request body exceeds %d bytes', 413, RangeError)
export const VHUB_ERR_BAD_JSON = createHubError<[string]>(
  'VHUB_ERR_BAD_JSON', 'request body is not a JSON object: %s', 400, SyntaxError)

// Protocol-level answers.
export const VHUB_ERR_BAD_ENVELOPE = createHubError<[string]>(
  'VHUB_ERR_BAD_ENVELOPE', 'invalid request envelope: %s', 200, TypeError)
export const VHUB_ERR_UNKNOWN_METHOD = createHubError<[string]>(
  'VHUB_ERR_UNKNOWN_METHOD', 'unknown method "%s"', 200)
export const VHUB_ERR_BAD_PARAMS = createHubError<[string, string]>(
  'VHUB_ERR_BAD_PARAMS', 'invalid params for %s: %s', 200, TypeError)
export const VHUB_ERR_LOGIN_TOKEN = createHubError<[string]>(
  'VHUB_ERR_LOGIN_TOKEN', 'login token rejected: %s', 200)
export const VHUB_ERR_LOGIN_REPLAYED = createHubError<[]>(
  'VHUB_ERR_LOGIN_REPLAYED', 'login token rejected: its jti was already used', 200)
export const VHUB_ERR_UNTRUSTED = createHubError<[string]>(
  'VHUB_ERR_UNTRUSTED', 'login refused: %s', 200)
export const VHUB_ERR_REFRESH_UNKNOWN = createHubError<[]>(
  'VHUB_ERR_REFRESH_UNKNOWN', 'refresh token unknown, expired or revoked', 200)
export const VHUB_ERR_REFRESH_REUSED = createHubError<[]>(
  'VHUB_ERR_REFRESH_REUSED', 'refresh token was already used; every token of its login is now revoked', 200)
export const VHUB_ERR_RATE_LIMITED = createHubError<[string]>(
  'VHUB_ERR_RATE_LIMITED', 'too many failed logins from %s; try again later', 429)
export const VHUB_ERR_BUSY = createHubError<[string]>(
  'VHUB_ERR_BUSY', 'verify-hub is at capacity: %s', 200)
export const VHUB_ERR_INTERNAL = createHubError<[string]>(
  'VHUB_ERR_INTERNAL', 'internal error (%s); see the server log', 200)

// Local checks (no RPC).
export const VHUB_ERR_SESSION_INVALID = createHubError<[string]>(
  'VHUB_ERR_SESSION_INVALID', 'session token rejected: %s', 200)
export const VHUB_ERR_SESSION_EXPIRED = createHubError<[]>(
  'VHUB_ERR_SESSION_EXPIRED', 'session token rejected: it has expired', 200)
export const VHUB_ERR_BAD_KEY = createHubError<[string]>(
  'VHUB_ERR_BAD_KEY', 'the stored verify-hub key is unusable: %s', 200)
export const VHUB_ERR_SESSION_REVOKED = createHubError<[]>(
  'VHUB_ERR_SESSION_REVOKED', 'session token rejected: its login was revoked (logout or refresh-token reuse)', 200)
