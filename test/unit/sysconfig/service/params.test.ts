// src/sysconfig/service/params.ts: strict decoding of method + params.
import t from 'tap'
import fc from 'fast-check'
import { decodeCall, METHODS, MAX_TX_ACTIONS } from '../../../../src/sysconfig/service/params.ts'
import { hostileJson } from '../../../helpers/hostile-json.ts'

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded ${String(err)}`
  }
}

t.test('valid calls decode', async t => {
  t.same(decodeCall('sys_config_get', { key: 'a/b' }), { method: 'sys_config_get', key: 'a/b' })
  t.same(decodeCall('sys_config_set', { key: 'a', value: '' }), { method: 'sys_config_set', key: 'a', value: '' })
  t.same(decodeCall('sys_config_list', { key: '' }), { method: 'sys_config_list', prefix: '' })
  t.same(decodeCall('sys_config_list', { key: 'a/' }), { method: 'sys_config_list', prefix: 'a/' })
  t.same(decodeCall('sys_config_set_by_json_path', { key: 'a', json_path: '$.x', value: { y: [1] } }),
    { method: 'sys_config_set_by_json_path', key: 'a', jsonPath: '$.x', value: { y: [1] } })
  t.same(decodeCall('sys_config_set_by_json_path', { key: 'a', json_path: '/x', value: null }).method, 'sys_config_set_by_json_path', 'null is a JSON value')
  t.same(decodeCall('sys_config_exec_tx', { actions: [{ op: 'set', key: 'a', value: '1' }, { op: 'delete', key: 'b' }], main_key: ['a', 0] }), {
    method: 'sys_config_exec_tx',
    actions: [{ op: 'set', key: 'a', value: '1' }, { op: 'delete', key: 'b' }],
    compare: { key: 'a', revision: 0 }
  })
  t.same(decodeCall('sys_config_watch', { prefix: 'services/', revision: 3, timeout_ms: 100 }),
    { method: 'sys_config_watch', prefix: 'services/', revision: 3, timeoutMs: 100 })
  t.same(decodeCall('sys_config_watch', { prefix: '', revision: 0 }), { method: 'sys_config_watch', prefix: '', revision: 0 })
})

t.test('invalid calls are coded errors', async t => {
  t.equal(codeOf(() => decodeCall('sys_config_nope', {})), 'SYSCFG_ERR_UNKNOWN_METHOD')
  t.equal(codeOf(() => decodeCall(7, {})), 'SYSCFG_ERR_UNKNOWN_METHOD')
  t.equal(codeOf(() => decodeCall('toString', {})), 'SYSCFG_ERR_UNKNOWN_METHOD', 'no prototype names')
  const bad: Array<[string, unknown]> = [
    ['sys_config_get', undefined], ['sys_config_get', []], ['sys_config_get', {}], ['sys_config_get', { key: 1 }],
    ['sys_config_get', { key: '' }], ['sys_config_get', { key: '/a' }], ['sys_config_get', { key: 'a/' }],
    ['sys_config_get', { key: 'a//b' }], ['sys_config_get', { key: 'a\nb' }], ['sys_config_get', { key: 'a', extra: 1 }],
    ['sys_config_get', { key: '\ud800' }], ['sys_config_get', { key: 'x'.repeat(1025) }],
    ['sys_config_set', { key: 'a' }], ['sys_config_set', { key: 'a', value: 1 }],
    ['sys_config_list', { key: '/' }], ['sys_config_list', { key: 'a//' }],
    ['sys_config_set_by_json_path', { key: 'a', json_path: '$.x' }], ['sys_config_set_by_json_path', { key: 'a', json_path: '', value: 1 }],
    ['sys_config_exec_tx', { actions: [] }], ['sys_config_exec_tx', { actions: {} }],
    ['sys_config_exec_tx', { actions: Array.from({ length: MAX_TX_ACTIONS + 1 }, () => ({ op: 'delete', key: 'a' })) }],
    ['sys_config_exec_tx', { actions: [{ op: 'rename', key: 'a' }] }], ['sys_config_exec_tx', { actions: [{ op: 'delete', key: 'a', value: 'x' }] }],
    ['sys_config_exec_tx', { actions: [{ op: 'set', key: 'a' }] }], ['sys_config_exec_tx', { actions: [null] }],
    ['sys_config_exec_tx', { actions: [{ op: 'delete', key: 'a' }], main_key: ['a'] }],
    ['sys_config_exec_tx', { actions: [{ op: 'delete', key: 'a' }], main_key: ['a', -1] }],
    ['sys_config_exec_tx', { actions: [{ op: 'delete', key: 'a' }], main_key: ['a', 1.5] }],
    ['sys_config_watch', { prefix: 'a' }], ['sys_config_watch', { prefix: 'a', revision: '1' }],
    ['sys_config_watch', { prefix: 'a', revision: 1, timeout_ms: -1 }], ['sys_config_watch', { revision: 1 }]
  ]
  for (const [method, params] of bad) t.equal(codeOf(() => decodeCall(method, params)), 'SYSCFG_ERR_INVALID_PARAMS', `${method} ${JSON.stringify(params)}`)
})

t.test('random method/params give a call or a coded error, never a crash', async t => {
  const method = fc.oneof(fc.constantFrom(...METHODS), fc.string(), fc.anything())
  const key = fc.oneof(fc.constantFrom('a', 'a/b', '', 'a/', '/a', 'services/x/instances/n'), fc.string())
  const action = fc.record({ op: fc.oneof(fc.constantFrom('set', 'create', 'delete', 'append'), fc.string()), key, value: fc.oneof(fc.string(), hostileJson) }, { requiredKeys: [] })
  const params = fc.oneof(
    fc.anything(),
    hostileJson,
    fc.record({
      key, value: fc.oneof(fc.string(), hostileJson), json_path: fc.string(), prefix: key,
      revision: fc.oneof(fc.nat(), fc.double(), fc.string()), timeout_ms: fc.oneof(fc.nat(), fc.integer()),
      actions: fc.oneof(fc.array(action, { maxLength: 5 }), fc.anything()), main_key: fc.oneof(fc.tuple(key, fc.nat()), fc.anything())
    }, { requiredKeys: [] })
  )
  fc.assert(fc.property(method, params, (m, p) => {
    const code = codeOf(() => decodeCall(m, p))
    return code === undefined || code === 'SYSCFG_ERR_INVALID_PARAMS' || code === 'SYSCFG_ERR_UNKNOWN_METHOD'
  }), { interruptAfterTimeLimit: 4000, numRuns: 1_000_000 })
  t.pass('only coded errors')
})
