import t from 'tap'
import { createError, GatewayError } from '../../../src/core/errors.ts'
t.test('createError', async t => {
  const E = createError('X_ERR_Y', 'bad %s')
  const e = new E('thing', { cause: new Error('c') })
  t.ok(e instanceof GatewayError)
  t.equal(e.code, 'X_ERR_Y'); t.equal(e.message, 'bad thing'); t.ok(e.cause)
})
