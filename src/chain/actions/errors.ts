// Coded errors of the local HTTP actions (serve, redirect, respond, reject), the response filters
// and value templates. All are raised while compiling a route (config time); answering a request
// never throws: problems with a request become HTTP statuses (400, 404, 405, 416).
import { createError } from '../../core/errors.ts'

export const CHAIN_ERR_BAD_TEMPLATE = createError('CHAIN_ERR_BAD_TEMPLATE', 'bad template %j: %s')
export const CHAIN_ERR_TEMPLATE_UNKNOWN_VAR = createError('CHAIN_ERR_TEMPLATE_UNKNOWN_VAR', 'unknown variable {%s} in template %j; known: %s')
export const CHAIN_ERR_BAD_HEADER = createError('CHAIN_ERR_BAD_HEADER', 'bad header %j: %s')
export const CHAIN_ERR_BAD_STATUS = createError('CHAIN_ERR_BAD_STATUS', 'bad status %j for %s: %s', RangeError)
export const CHAIN_ERR_BAD_SERVE_SPEC = createError('CHAIN_ERR_BAD_SERVE_SPEC', 'bad serve spec: %s')
