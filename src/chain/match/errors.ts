// Coded errors of the match stage. They are raised only while compiling a chain (config time);
// matching itself never throws.
import { createError } from '../../core/errors.ts'

export const CHAIN_ERR_BAD_HOST_PATTERN = createError('CHAIN_ERR_BAD_HOST_PATTERN', 'bad host pattern %j: %s')
export const CHAIN_ERR_BAD_CIDR = createError('CHAIN_ERR_BAD_CIDR', 'bad CIDR %j: %s')
export const CHAIN_ERR_BAD_REGEX = createError('CHAIN_ERR_BAD_REGEX', 'bad regex %j in %s: %s')
