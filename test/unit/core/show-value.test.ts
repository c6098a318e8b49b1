import t from 'tap'
import fc from 'fast-check'
import { showValue } from '../../../src/core/show-value.ts'
import { hostileJson } from '../../helpers/hostile-json.ts'

t.test('showValue renders what String() would throw on', async t => {
  t.throws(() => String(JSON.parse('{"toString": {}}')), TypeError, 'the trap is real')
  t.equal(showValue(JSON.parse('{"toString": {}}')), '{"toString":{}}')
  t.equal(showValue('a"b'), '"a\\"b"', 'strings are quoted')
  t.equal(showValue(7), '7')
  t.equal(showValue(undefined), 'undefined')
  t.equal(showValue(10n), '10')
  const loop: Record<string, unknown> = {}
  loop.self = loop
  t.equal(showValue(loop), 'an object', 'a cycle')
  t.equal(showValue('x'.repeat(200)).length, 80, 'cut to the limit')
  t.equal(showValue('x'.repeat(200), 20), `"${'x'.repeat(16)}...`)
})

t.test('showValue never throws and stays short, on any value', async t => {
  fc.assert(fc.property(fc.oneof(fc.anything({ withBigInt: true, withMap: true, withSet: true, withObjectString: true, withNullPrototype: true }), hostileJson), fc.integer({ min: 4, max: 200 }), (v, max) => {
    const text = showValue(v, max)
    return typeof text === 'string' && text.length <= max
  }), { numRuns: 2000 })
  t.pass()
})
