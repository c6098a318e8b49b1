// setByJsonPath's path parser and updater take strings straight from RPC callers: unit cases for
// both spellings, and fast-check properties that random input yields only coded errors.
import t from 'tap'
import fc from 'fast-check'
import { applyJsonPath, parseJsonPath } from '../../../../src/sysconfig/store/json-path.ts'
import { keysOf, plan } from '../../../../src/sysconfig/store/plan.ts'
import { GatewayError } from '../../../../src/core/errors.ts'

const coded = (fn: () => unknown): boolean => {
  try { fn(); return true } catch (err) { return err instanceof GatewayError && /^SYSCFG_ERR_/.test(err.code) }
}

t.test('both spellings parse to the same steps', async t => {
  t.same(parseJsonPath('$.a.b[0]'), parseJsonPath('/a/b/0'))
  t.same(parseJsonPath("$['a/b']"), [{ kind: 'name', name: 'a/b' }])
  t.same(parseJsonPath('/a~1b/~0'), [{ kind: 'name', name: 'a/b' }, { kind: 'name', name: '~' }])
  t.same(parseJsonPath('$'), [])
  t.same(parseJsonPath(''), [])
  for (const bad of ['a', '$.', '$[', '$[01]', '$.a[-1]', '$..a', '/a~2', '$a']) {
    t.throws(() => parseJsonPath(bad), { code: 'SYSCFG_ERR_BAD_JSON_PATH' }, bad)
  }
})

t.test('applyJsonPath', async t => {
  t.equal(applyJsonPath('k', undefined, '$.a[0].b', 1), '{"a":[{"b":1}]}', 'creates containers, arrays for [n]')
  t.equal(applyJsonPath('k', '{"__proto__":1}', '$.__proto__', 2), '{"__proto__":2}', '__proto__ is a plain member')
  t.equal(applyJsonPath('k', 'null', '/x', 1), '{"x":1}')
  t.throws(() => applyJsonPath('k', '{', '$.a', 1), { code: 'SYSCFG_ERR_NOT_JSON' })
  t.throws(() => applyJsonPath('k', '[]', '$.a', 1), { code: 'SYSCFG_ERR_BAD_JSON_PATH' })
  t.throws(() => applyJsonPath('k', '{}', '$.a', 10n), { code: 'SYSCFG_ERR_BAD_VALUE' })
  t.throws(() => applyJsonPath('k', '{}', '/a'.repeat(65), 1), { code: 'SYSCFG_ERR_BAD_JSON_PATH' }, 'depth is bounded')
})

t.test('random paths and documents give results or coded errors only', async t => {
  const pathArb = fc.oneof(fc.string({ maxLength: 40 }),
    fc.array(fc.constantFrom('$', '.', '[', ']', "'", '"', '\\', '/', '~', '0', '1', '-', 'a', 'b'), { maxLength: 30 }).map(a => a.join('')))
  const docArb = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 20 }), fc.json({ maxDepth: 3 }))
  fc.assert(fc.property(pathArb, docArb, fc.jsonValue({ maxDepth: 2 }), (path, doc, value) => {
    let out: string | undefined
    const ok = coded(() => { out = applyJsonPath('k', doc, path, value) })
    if (!ok) return false
    return out === undefined || typeof JSON.parse(out) !== 'undefined'
  }), { interruptAfterTimeLimit: 5000, numRuns: 20_000 })
  t.pass('no uncoded error')
})

t.test('random transaction bodies give plans or coded errors only', async t => {
  const anything = fc.anything({ maxDepth: 2 })
  const actionArb = fc.oneof(anything, fc.record({ op: fc.oneof(fc.constantFrom('set', 'create', 'delete', 'append', 'json'), anything), key: anything, value: anything, path: anything }))
  fc.assert(fc.property(fc.oneof(anything, fc.array(actionArb, { maxLength: 5 })), fc.option(fc.record({ key: anything, revision: anything }), { nil: undefined }), (actions, compare) =>
    coded(() => {
      const keys = keysOf(actions as never, compare as never)
      plan(actions as never, new Map(keys.map(k => [k, undefined])), compare as never)
    })), { interruptAfterTimeLimit: 5000, numRuns: 20_000 })
  t.pass('no uncoded error')
})
