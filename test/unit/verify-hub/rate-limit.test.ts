import t from 'tap'
import { createRateLimiter } from '../../../src/verify-hub/rate-limit.ts'
import { createExpiringSet } from '../../../src/verify-hub/expiring-set.ts'

t.test('token bucket: burst, then refill over time', async t => {
  let clock = 0
  const l = createRateLimiter({ burst: 2, refillPerSecond: 0.5, now: () => clock })
  t.equal(l.allowed('a'), true)
  l.fail('a'); l.fail('a')
  t.equal(l.allowed('a'), false)
  t.equal(l.retryAfter('a'), 2)
  t.equal(l.allowed('b'), true, 'per key')
  clock += 1999
  t.equal(l.allowed('a'), false)
  clock += 1
  t.equal(l.allowed('a'), true)
  t.equal(l.retryAfter('a'), 0)
  l.fail('a')
  t.equal(l.allowed('a'), false, 'the regained token is spent again')
})

t.test('the map is bounded; refilled buckets go first', async t => {
  let clock = 0
  const l = createRateLimiter({ burst: 1, refillPerSecond: 1, maxKeys: 10, now: () => clock })
  l.fail('old')
  clock += 5000 // 'old' has refilled: it carries nothing
  for (let i = 0; i < 9; i++) l.fail(`k${i}`)
  t.equal(l.size, 10)
  l.fail('new')
  t.ok(l.size <= 10)
  t.equal(l.allowed('new'), false)
  t.equal(l.allowed('k8'), false, 'recent failures are kept')
  for (let i = 0; i < 1000; i++) l.fail(`flood${i}`)
  t.ok(l.size <= 10, 'a flood of addresses stays bounded')
})

t.test('expiring set: deadlines, refuse or evict when full', async t => {
  let clock = 0
  const refuse = createExpiringSet({ maxEntries: 2, whenFull: 'refuse', now: () => clock })
  t.equal(refuse.add('a', 100), true)
  t.equal(refuse.add('b', 200), true)
  t.equal(refuse.has('a'), true)
  t.equal(refuse.add('c', 300), false, 'full of live ids: refused')
  clock = 100
  t.equal(refuse.has('a'), false, 'a deadline reached')
  t.equal(refuse.add('c', 300), true, 'expired ids make room')
  const evict = createExpiringSet({ maxEntries: 2, whenFull: 'evict', now: () => clock })
  evict.add('x', 1000); evict.add('y', 1000); evict.add('z', 1000)
  t.equal(evict.size, 2)
  t.equal(evict.has('x'), false, 'the oldest went')
  t.equal(evict.has('z'), true)
})
