import { createError } from '../core/errors.ts'

export const TUN_ERR_ABORTED = createError('TUN_ERR_ABORTED', 'open of %s was aborted')
export const TUN_ERR_CONNECT_REFUSED = createError('TUN_ERR_CONNECT_REFUSED', 'connection to %s was refused')
export const TUN_ERR_CONNECT_TIMEOUT = createError('TUN_ERR_CONNECT_TIMEOUT', 'connection to %s timed out after %d ms')
export const TUN_ERR_UNREACHABLE = createError('TUN_ERR_UNREACHABLE', '%s is unreachable')
export const TUN_ERR_UNKNOWN_SCHEME = createError('TUN_ERR_UNKNOWN_SCHEME', 'no tunnel kind is registered for scheme "%s"; known: %s')
export const TUN_ERR_DUPLICATE_SCHEME = createError('TUN_ERR_DUPLICATE_SCHEME', 'a tunnel kind for scheme "%s" is already registered')
export const TUN_ERR_INVALID_URL = createError('TUN_ERR_INVALID_URL', 'invalid tunnel URL "%s": %s')
export const TUN_ERR_ADDRESS_IN_USE = createError('TUN_ERR_ADDRESS_IN_USE', 'address %s is already in use')
export const TUN_ERR_LISTENER_CLOSED = createError('TUN_ERR_LISTENER_CLOSED', 'listener %s is closed')
export const TUN_ERR_NOT_SUPPORTED = createError('TUN_ERR_NOT_SUPPORTED', '%s does not support %s')
export const TUN_ERR_ACCEPT_QUEUE_FULL = createError('TUN_ERR_ACCEPT_QUEUE_FULL', 'listener %s already has %d streams waiting to be accepted')
