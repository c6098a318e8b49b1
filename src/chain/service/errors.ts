// Coded errors of the zone's service actions (kapi, app). Each carries the HTTP status the client
// gets; they all happen before any byte went to a service.
import { httpError } from '../http/errors.ts'
import { createError } from '../../core/errors.ts'

export const CHAIN_ERR_KAPI_BAD_SERVICE = httpError<[string]>('CHAIN_ERR_KAPI_BAD_SERVICE', 'the path names no valid service (%s)', 400)
export const CHAIN_ERR_APP_BAD_HOST = httpError<[string]>('CHAIN_ERR_APP_BAD_HOST', 'the Host names no app of a zone (%s)', 400)
export const CHAIN_ERR_APP_UNKNOWN = httpError<[string, string]>('CHAIN_ERR_APP_UNKNOWN', 'zone %s has no app %s', 404)
export const CHAIN_ERR_APP_BAD_ENTRY = httpError<[string, string]>('CHAIN_ERR_APP_BAD_ENTRY', 'app %s names an invalid service %s', 502)
export const CHAIN_ERR_APP_LOOKUP_FAILED = httpError<[string]>('CHAIN_ERR_APP_LOOKUP_FAILED', 'looking up app %s failed', 502)
export const CHAIN_ERR_APP_SESSION_FAILED = httpError<[string]>('CHAIN_ERR_APP_SESSION_FAILED', 'checking the session for app %s failed', 503)
export const CHAIN_ERR_APP_NO_REGISTRY = createError<[string]>('CHAIN_ERR_APP_NO_REGISTRY', 'route %s uses the app action, but this process has no app registry or session verifier')
