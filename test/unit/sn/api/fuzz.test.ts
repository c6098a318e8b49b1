// Property tests: whatever body, path or token arrives, the API answers a coded 4xx or a 2xx,
// never a 500, and the rate limiter and replay guard stay within their bounds.
import t from 'tap'
import fc from 'fast-check'
import { startApi, registerZone } from './fixtures.ts'
import { deviceToken } from '../registry/helpers.ts'
import { RateLimiter } from '../../../../src/sn/api/rate-limit.ts'
import { ReplayGuard } from '../../../../src/sn/api/replay-guard.ts'
import { withinTime } from '../../../helpers/within-time.ts'
import { hostileJson } from '../../../helpers/hostile-json.ts'

const ROUTES: Array<[string, string]> = [
  ['POST', '/v1/zones'], ['PUT', '/v1/zones/alice.sn.test/devices'], ['GET', '/v1/zones/alice.sn.test'],
  ['POST', '/v1/ddns'], ['PUT', '/v1/zones/alice.sn.test/txt'], ['DELETE', '/v1/zones/alice.sn.test/txt'],
  ['POST', '/v1/zones/alice.sn.test/domains'], ['POST', '/v1/zones/alice.sn.test/domains/example.com/verify'],
  ['PUT', '/v1/zones/bob.sn.test/txt'], ['GET', '/.well-known/acme-challenge/x'], ['PATCH', '/v1/ddns'], ['GET', '/%zz']
]

// Field names the handlers read, so random bodies reach past the first check.
const fieldValue = fc.oneof(hostileJson, fc.constantFrom('alice.sn.test', '_acme-challenge.alice.sn.test', '1.2.3.4', 'a.b', ''),
  fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), { maxLength: 20 }), fc.boolean())
const body = fc.oneof(
  fc.record({ invite: fieldValue, proof: fieldValue, doc: fieldValue, addrs: fieldValue, direct: fieldValue, name: fieldValue, value: fieldValue }, { requiredKeys: [] }),
  fc.jsonValue().map(v => JSON.stringify(v)),
  fc.string({ maxLength: 200 })
)

t.test('random requests never answer 500', async t => {
  const api = await startApi(t, { limits: { registrationsPerMinute: 1e9, recordChangesPerMinute: 1e9 } })
  const { zone, laptop } = await registerZone(api, 'alice')
  await registerZone(api, 'bob')
  await fc.assert(fc.asyncProperty(fc.constantFrom(...ROUTES), body, fc.boolean(), withinTime(5000, async ([method, path], b, withToken) => {
    const options: Parameters<typeof api.call>[2] = typeof b === 'string' ? { raw: b } : { body: b }
    if (withToken) options.token = await deviceToken(laptop, zone)
    if (method === 'GET') { delete options.raw; delete options.body }
    const res = await api.call(method, path, options)
    if (res.status >= 500) throw new Error(`${method} ${path} ${JSON.stringify(b)} → ${res.status} ${JSON.stringify(res.body)}`)
    if (res.status >= 400) {
      if (typeof res.body?.error?.code !== 'string' || !/^SN_ERR_/.test(res.body.error.code)) throw new Error(`uncoded error ${JSON.stringify(res.body)}`)
    }
  })), { numRuns: 2000 })
  t.pass('no 500 within the time box')
})

t.test('rate limiter: buckets refill, and the key map stays bounded', async t => {
  const limiter = new RateLimiter({ capacity: 2, perMs: 60_000, maxKeys: 100 })
  t.equal(limiter.take('a', 0), 0)
  t.equal(limiter.take('a', 0), 0)
  t.equal(limiter.take('a', 0), 30_000, 'the next token comes in 30 s')
  t.equal(limiter.take('a', 30_000), 0)
  fc.assert(fc.property(fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.nat(10_000)), { maxLength: 500 }), ops => {
    for (const [key, now] of ops) {
      const wait = limiter.take(key, now)
      if (wait < 0 || !Number.isFinite(wait)) throw new Error(`bad wait ${wait}`)
    }
    if (limiter.size > 100) throw new Error(`map grew to ${limiter.size}`)
  }), { interruptAfterTimeLimit: 2000 })
})

t.test('replay guard: refuses a seen id until it expires; bounded', async t => {
  const guard = new ReplayGuard(3)
  t.equal(guard.use('a', 100, 0), 'ok')
  t.equal(guard.use('a', 100, 50), 'replayed')
  t.equal(guard.use('a', 200, 100), 'ok', 'expired ids may come back (the token itself is expired then)')
  t.equal(guard.use('b', 100, 0), 'ok')
  t.equal(guard.use('c', 100, 0), 'ok')
  t.equal(guard.use('d', 100, 50), 'full', 'never forgets an unexpired id to make room')
  t.equal(guard.use('d', 300, 150), 'ok', 'expired ids are swept when full')
  t.ok(guard.size <= 3)
})
