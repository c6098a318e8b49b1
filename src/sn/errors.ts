// Error registry of the SN (store, registry and its HTTP API). Each error carries the HTTP status
// the API answers it with as `httpStatus`; the body is {"error": {"code", "message"}}.
import { createHttpError, type HttpError, type HttpErrorClass } from '../core/errors.ts'

export type SnError = HttpError

export type SnErrorClass<A extends unknown[]> = HttpErrorClass<A>

const createSnError = createHttpError

// Request shape (api/).
export const SN_ERR_BAD_JSON = createSnError<[string]>('SN_ERR_BAD_JSON', 'request body is not valid JSON: %s', 400, SyntaxError)
export const SN_ERR_BAD_REQUEST = createSnError<[string]>('SN_ERR_BAD_REQUEST', 'invalid request: %s', 400, TypeError)
export const SN_ERR_BODY_TOO_LARGE = createSnError<[number]>('SN_ERR_BODY_TOO_LARGE', 'request body exceeds %d bytes', 413, RangeError)
export const SN_ERR_NOT_FOUND = createSnError<[string]>('SN_ERR_NOT_FOUND', 'no such resource: %s', 404)
export const SN_ERR_METHOD_NOT_ALLOWED = createSnError<[string, string]>('SN_ERR_METHOD_NOT_ALLOWED', 'method %s is not allowed on %s', 405)
export const SN_ERR_RATE_LIMITED = createSnError<[string]>('SN_ERR_RATE_LIMITED', 'too many requests for %s; retry later', 429)
export const SN_ERR_INTERNAL = createSnError<[]>('SN_ERR_INTERNAL', 'internal error', 500)

// Authentication (device tokens and owner-signed documents).
export const SN_ERR_TOKEN_MISSING = createSnError<[]>('SN_ERR_TOKEN_MISSING', 'an "authorization: Bearer <device token>" header is required', 401)
export const SN_ERR_TOKEN_INVALID = createSnError<[string, string]>('SN_ERR_TOKEN_INVALID', '%s refused: %s', 401)
export const SN_ERR_TOKEN_REPLAYED = createSnError<[]>('SN_ERR_TOKEN_REPLAYED', 'device token was already used (each token is single-use)', 401)
export const SN_ERR_NOT_OWNER = createSnError<[string]>('SN_ERR_NOT_OWNER', 'document is not signed by the owner of zone %s', 403)
export const SN_ERR_ZONE_MISMATCH = createSnError<[string, string]>('SN_ERR_ZONE_MISMATCH', 'credential for zone %s cannot act on zone %s', 403)

// Registration and zones.
export const SN_ERR_REGISTRATION_CLOSED = createSnError<[]>('SN_ERR_REGISTRATION_CLOSED', 'registration is closed on this SN', 403)
export const SN_ERR_INVITE_INVALID = createSnError<[string]>('SN_ERR_INVITE_INVALID', 'invitation code refused: %s', 403)
export const SN_ERR_ZONE_NAME_INVALID = createSnError<[string, string]>('SN_ERR_ZONE_NAME_INVALID', 'invalid zone name "%s": %s', 400, TypeError)
export const SN_ERR_ZONE_RESERVED = createSnError<[string]>('SN_ERR_ZONE_RESERVED', 'zone name %s is reserved by the SN', 403)
export const SN_ERR_ZONE_TAKEN = createSnError<[string]>('SN_ERR_ZONE_TAKEN', 'zone %s is already registered', 409)
export const SN_ERR_ZONE_UNKNOWN = createSnError<[string]>('SN_ERR_ZONE_UNKNOWN', 'zone %s is not registered', 404)
export const SN_ERR_DENIED = createSnError<[string, string]>('SN_ERR_DENIED', '%s %s is on the denylist', 403)
export const SN_ERR_VERSION_STALE = createSnError<[number, number]>('SN_ERR_VERSION_STALE', 'device list version %d is not greater than the stored version %d', 409)
export const SN_ERR_DEVICE_CONFLICT = createSnError<[string, string]>('SN_ERR_DEVICE_CONFLICT', 'device %s already belongs to zone %s', 409)
export const SN_ERR_QUOTA_EXCEEDED = createSnError<[string, number]>('SN_ERR_QUOTA_EXCEEDED', '%s: at most %d allowed', 403)

// Records and custom domains.
export const SN_ERR_NAME_OUTSIDE_ZONE = createSnError<[string, string]>('SN_ERR_NAME_OUTSIDE_ZONE', 'name %s is outside zone %s and its bound domains', 403)
export const SN_ERR_DOMAIN_INVALID = createSnError<[string, string]>('SN_ERR_DOMAIN_INVALID', 'invalid domain "%s": %s', 400, TypeError)
export const SN_ERR_DOMAIN_FORBIDDEN = createSnError<[string, string]>('SN_ERR_DOMAIN_FORBIDDEN', 'domain %s cannot be bound: %s', 403)
export const SN_ERR_DOMAIN_UNKNOWN = createSnError<[string, string]>('SN_ERR_DOMAIN_UNKNOWN', 'zone %s has not claimed domain %s', 404)
export const SN_ERR_DOMAIN_NOT_VERIFIED = createSnError<[string, string]>('SN_ERR_DOMAIN_NOT_VERIFIED', 'challenge TXT record %s does not hold the expected value yet (%s)', 409)

// Store.
export const SN_ERR_STORE_VERSION = createSnError<[string, number, number]>('SN_ERR_STORE_VERSION', 'SN store %s has schema version %d; this build knows up to %d', 500)
