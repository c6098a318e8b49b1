import t from 'tap'
import { backoffDelay } from '../../../src/rtcp/keep-tunnel.ts'
import { TokenBucket } from '../../../src/rtcp/token-bucket.ts'

t.test('backoff doubles from the initial delay, is capped, and jitters ±20%', async t => {
  const r = { initialMs: 250, maxMs: 5000 }
  const mid = (): number => 0.5
  t.same([0, 1, 2, 3, 4, 5, 50].map(n => backoffDelay(n, r, mid)), [250, 500, 1000, 2000, 4000, 5000, 5000])
  t.equal(backoffDelay(0, r, () => 0), 200)
  t.equal(backoffDelay(10, r, () => 0.999999), 6000)
  t.equal(backoffDelay(10_000, r, mid), 5000, 'a huge attempt count stays finite and capped (never gives up)')
})

t.test('token bucket allows a burst, then the rate', async t => {
  let now = 0
  const b = new TokenBucket(10, 10, () => now)
  let ok = 0
  for (let i = 0; i < 20; i++) if (b.take()) ok++
  t.equal(ok, 10, 'burst of 10')
  now += 100
  t.ok(b.take(), 'one token after 100 ms at 10/s')
  t.notOk(b.take(), 'and only one')
  now += 10_000
  ok = 0
  for (let i = 0; i < 50; i++) if (b.take()) ok++
  t.equal(ok, 10, 'refill is capped at the burst')
})
