import { createError } from '../../core/errors.ts'

export const CHAIN_ERR_UPSTREAM_UNAVAILABLE = createError('CHAIN_ERR_UPSTREAM_UNAVAILABLE', 'no upstream could be reached (%d tried): %s')
export const CHAIN_ERR_UPSTREAM_EMPTY = createError('CHAIN_ERR_UPSTREAM_EMPTY', 'an upstream group needs at least one upstream', RangeError)
export const CHAIN_ERR_UPSTREAM_RESET = createError('CHAIN_ERR_UPSTREAM_RESET', 'upstream %s reset the connection before sending any byte')
