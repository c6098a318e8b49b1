import { createError } from '../core/errors.ts'

export const CHAIN_ERR_BAD_CLIENT_HELLO = createError('CHAIN_ERR_BAD_CLIENT_HELLO', 'bad TLS ClientHello: %s')
export const CHAIN_ERR_CLIENT_HELLO_TOO_LARGE = createError('CHAIN_ERR_CLIENT_HELLO_TOO_LARGE', 'TLS ClientHello of %d bytes exceeds the limit of %d', RangeError)
export const CHAIN_ERR_PROXY_UNTRUSTED = createError('CHAIN_ERR_PROXY_UNTRUSTED', 'PROXY header from %s, which is not in trusted_proxies')
export const CHAIN_ERR_PROBE_CLOSED = createError('CHAIN_ERR_PROBE_CLOSED', 'client closed before the probes decided')
export const CHAIN_ERR_NO_ROUTE = createError('CHAIN_ERR_NO_ROUTE', 'no route of chain %s matches')
export const CHAIN_ERR_REJECTED = createError('CHAIN_ERR_REJECTED', 'rejected by route %s')
export const CHAIN_ERR_TOO_DEEP = createError('CHAIN_ERR_TOO_DEEP', 'chain %s entered %d levels deep (tls_terminate loops?)')
export const CHAIN_ERR_UNKNOWN_CHAIN = createError('CHAIN_ERR_UNKNOWN_CHAIN', 'no chain named %s')
export const CHAIN_ERR_DROPPED = createError('CHAIN_ERR_DROPPED', 'dropped by route %s')
