import { createError } from '../core/errors.ts'

export const ACME_ERR_NOT_ISSUED = createError('ACME_ERR_NOT_ISSUED', 'certificate %s is not issued yet')
export const ACME_ERR_UNKNOWN_CERT = createError('ACME_ERR_UNKNOWN_CERT', 'no certificate with id %s is configured')
export const ACME_ERR_BAD_SPEC = createError('ACME_ERR_BAD_SPEC', 'certificate spec %s: %s')
export const ACME_ERR_NO_SOLVER = createError('ACME_ERR_NO_SOLVER', 'certificate %s needs a %s solver, none was given')
export const ACME_ERR_BAD_STATE_KEY = createError('ACME_ERR_BAD_STATE_KEY', 'state key %s is not a safe relative path')
export const ACME_ERR_ORDER_FAILED = createError('ACME_ERR_ORDER_FAILED', 'order for %s failed: %s')
export const ACME_ERR_CHALLENGE_FAILED = createError('ACME_ERR_CHALLENGE_FAILED', '%s challenge for %s failed: %s')
export const ACME_ERR_BAD_CHAIN = createError('ACME_ERR_BAD_CHAIN', 'certificate issued for %s is unusable: %s')
export const ACME_ERR_ABORTED = createError('ACME_ERR_ABORTED', 'aborted: %s')
export const ACME_ERR_BAD_DER = createError('ACME_ERR_BAD_DER', 'bad DER in certificate: %s')
export const ACME_ERR_HTTP = createError('ACME_ERR_HTTP', 'GET %s failed: %s')
