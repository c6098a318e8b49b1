import { createError } from '../core/errors.ts'

export const CHAIN_ERR_BAD_CLIENT_HELLO = createError('CHAIN_ERR_BAD_CLIENT_HELLO', 'bad TLS ClientHello: %s')
export const CHAIN_ERR_CLIENT_HELLO_TOO_LARGE = createError('CHAIN_ERR_CLIENT_HELLO_TOO_LARGE', 'TLS ClientHello of %d bytes exceeds the limit of %d', RangeError)
