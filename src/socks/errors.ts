// SOCKS codec errors. Each carries its wire mapping as `socksReply` (RFC 1928 REP): a server that
// catches one while reading a request answers with that code before closing.
import { createError, createErrorWithField, type GatewayError, type GatewayErrorClass } from '../core/errors.ts'
import { REPLY_CODES } from './types.ts'

export type SocksError = GatewayError & { readonly socksReply: number }

export interface SocksErrorClass<A extends unknown[]> extends GatewayErrorClass<A> {
  new (...args: [...A] | [...A, { cause?: unknown }]): SocksError
  readonly socksReply: number
}

/** createError() plus a fixed `socksReply` on every instance (and on the class, for lookups). */
function createSocksError<A extends unknown[]> (code: string, template: string, socksReply: number, Base?: ErrorConstructor): SocksErrorClass<A> {
  return createErrorWithField(code, template, 'socksReply', socksReply, Base) as SocksErrorClass<A>
}

const { GENERAL_FAILURE, COMMAND_NOT_SUPPORTED, ADDRESS_TYPE_NOT_SUPPORTED } = REPLY_CODES

export const SOCKS_ERR_BAD_VERSION = createSocksError<[string, number, number]>(
  'SOCKS_ERR_BAD_VERSION', '%s: expected version %d, got %d', GENERAL_FAILURE)
export const SOCKS_ERR_MALFORMED = createSocksError<[string, string]>(
  'SOCKS_ERR_MALFORMED', 'malformed %s: %s', GENERAL_FAILURE)
export const SOCKS_ERR_COMMAND_NOT_SUPPORTED = createSocksError<[string]>(
  'SOCKS_ERR_COMMAND_NOT_SUPPORTED', 'SOCKS command 0x%s is not supported', COMMAND_NOT_SUPPORTED)
export const SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED = createSocksError<[string]>(
  'SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED', 'SOCKS address type 0x%s is not supported', ADDRESS_TYPE_NOT_SUPPORTED)
export const SOCKS_ERR_INVALID_VALUE = createSocksError<[string, string]>(
  'SOCKS_ERR_INVALID_VALUE', 'cannot encode %s: %s', GENERAL_FAILURE, TypeError)

// Client side: what a proxy we talk to may answer.
export const SOCKS_ERR_NO_ACCEPTABLE_METHOD = createError('SOCKS_ERR_NO_ACCEPTABLE_METHOD', 'proxy %s accepts none of the offered auth methods (%s)')
export const SOCKS_ERR_AUTH_FAILED = createError('SOCKS_ERR_AUTH_FAILED', 'proxy %s refused the username/password (status %d)')
export const SOCKS_ERR_REQUEST_FAILED = createError('SOCKS_ERR_REQUEST_FAILED', 'proxy %s could not %s: reply 0x%s (%s)')
export const SOCKS_ERR_PROXY_CLOSED = createError('SOCKS_ERR_PROXY_CLOSED', 'proxy %s closed the connection during the handshake')

// Server side (server.ts, auth.ts, udp-relay.ts).
export const SOCKS_ERR_USERS_INVALID = createError<[string, number, string]>('SOCKS_ERR_USERS_INVALID', '%s:%d: %s')
export const SOCKS_ERR_HANDSHAKE_TIMEOUT = createError<[string, number]>('SOCKS_ERR_HANDSHAKE_TIMEOUT', 'SOCKS client %s did not finish its handshake within %d ms')
export const SOCKS_ERR_CLIENT_CLOSED = createError<[string]>('SOCKS_ERR_CLIENT_CLOSED', 'SOCKS client %s closed the connection during the handshake')
export const SOCKS_ERR_TOO_MANY_SESSIONS = createError<[string, number]>('SOCKS_ERR_TOO_MANY_SESSIONS', 'SOCKS client %s already has %d sessions open')
