// Coded errors of the `zone` action (SN public ingress). Each carries the HTTP status a plain
// HTTP client gets when the failure happens before any byte went to the zone; TLS clients get a
// reset instead, since the SN holds no certificate for a zone's names.
import { httpError } from '../http/errors.ts'
import { createError } from '../../core/errors.ts'

export const CHAIN_ERR_ZONE_NO_NAME = httpError<[string]>('CHAIN_ERR_ZONE_NO_NAME', 'the connection names no server to find its zone by (%s)', 400)
export const CHAIN_ERR_ZONE_UNKNOWN = httpError<[string]>('CHAIN_ERR_ZONE_UNKNOWN', '%s belongs to no zone', 404)
export const CHAIN_ERR_ZONE_UNREACHABLE = httpError<[string, string]>('CHAIN_ERR_ZONE_UNREACHABLE', 'the zone of %s cannot be reached: %s', 502)
export const CHAIN_ERR_ZONE_NO_RESOLVER = createError<[string]>('CHAIN_ERR_ZONE_NO_RESOLVER', 'route %s uses the zone action, but this process has no zone registry (only an SN has one)')
