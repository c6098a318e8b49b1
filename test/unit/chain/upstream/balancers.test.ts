// The balancing policies on their own: exact sequences, distributions and movement, no network.
import t from 'tap'
import fc from 'fast-check'
import { smoothRoundRobin, weightedRandom, rendezvousHash, leastTime } from '../../../../src/chain/upstream/balancers.ts'
import { UpstreamState } from '../../../../src/chain/upstream/upstream-state.ts'
import { mulberry32 } from './helpers.ts'

function states (weights: number[]): UpstreamState[] {
  return weights.map((w, i) => new UpstreamState(`tcp://127.0.0.1:${1000 + i}`, w, i))
}
const name = (s: UpstreamState): string => 'abcdefgh'[s.index]

t.test('round_robin with weights 5/1/1 gives nginx\'s smooth sequence, twice over', async t => {
  const b = smoothRoundRobin()
  const list = states([5, 1, 1])
  const seq = Array.from({ length: 14 }, () => name(b.pick(list, '')))
  t.equal(seq.join(''), 'aabacaa' + 'aabacaa')
})

t.test('round_robin with default weights is a plain rotation', async t => {
  const b = smoothRoundRobin()
  const list = states([1, 1, 1])
  t.equal(Array.from({ length: 6 }, () => name(b.pick(list, ''))).join(''), 'abcabc')
})

t.test('random follows the weights over 10 000 seeded picks', async t => {
  const b = weightedRandom(mulberry32(42))
  const list = states([5, 3, 2])
  const counts = [0, 0, 0]
  for (let i = 0; i < 10_000; i++) counts[b.pick(list, '').index]++
  // Binomial standard deviations are ≤ 50 here; ±4σ.
  t.ok(Math.abs(counts[0] - 5000) < 200, `a: ${counts[0]}`)
  t.ok(Math.abs(counts[1] - 3000) < 200, `b: ${counts[1]}`)
  t.ok(Math.abs(counts[2] - 2000) < 200, `c: ${counts[2]}`)
  const edge = weightedRandom(() => 0.9999999999999999)
  t.equal(edge.pick(list, '').index, 2, 'the top of the range lands on the last upstream')
})

const clients = Array.from({ length: 2000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${(i * 7) & 255}`)

t.test('hash is stable, spread, and moves only the clients of a removed upstream', async t => {
  const b = rendezvousHash()
  const list = states([1, 1, 1, 1])
  const before = clients.map(c => b.pick(list, c).index)
  t.same(clients.map(c => b.pick(list, c).index), before, 'the same client gets the same upstream')
  t.same(clients.map(c => rendezvousHash().pick(list, c).index), before, 'and so does another instance')
  const counts = [0, 0, 0, 0]
  for (const i of before) counts[i]++
  for (const n of counts) t.ok(n > 350 && n < 650, `about a quarter each: ${counts.join('/')}`)

  const without2 = list.filter(s => s.index !== 2)
  const after = clients.map(c => b.pick(without2, c).index)
  let moved = 0
  for (let i = 0; i < clients.length; i++) {
    if (before[i] === 2) moved++
    else if (after[i] !== before[i]) t.fail(`client ${clients[i]} moved from ${before[i]} to ${after[i]}`)
  }
  t.equal(moved, counts[2], 'exactly the removed upstream\'s clients moved')
})

t.test('hash honours weights and treats IPv4-mapped addresses as IPv4', async t => {
  const b = rendezvousHash()
  const list = states([2, 1, 1])
  const counts = [0, 0, 0]
  for (const c of clients) counts[b.pick(list, c).index]++
  t.ok(counts[0] > 850 && counts[0] < 1150, `weight 2 of 4 gets about half: ${counts.join('/')}`)
  t.equal(b.pick(list, '::ffff:10.0.1.7').index, b.pick(list, '10.0.1.7').index)
})

t.test('least_time: fewest active per weight, then the lowest EWMA, then rotation', async t => {
  const b = leastTime()
  const [a, c] = states([1, 1])
  t.same([b.pick([a, c], ''), b.pick([a, c], '')].map(name), ['a', 'b'], 'equal and unmeasured: rotate')
  a.recordSuccess(50); c.recordSuccess(5)
  t.equal(name(b.pick([a, c], '')), 'b', 'equal load: the faster one')
  t.equal(name(b.pick([a, c], '')), 'b', 'and again')
  c.active = 1
  t.equal(name(b.pick([a, c], '')), 'a', 'fewer active streams wins over speed')
  const heavy = new UpstreamState('tcp://127.0.0.1:9', 3, 2)
  heavy.active = 2; heavy.recordSuccess(100)
  t.equal(b.pick([c, heavy], '').url, heavy.url, '2 active at weight 3 is less load than 1 at weight 1')
})

t.test('upstream state: connect time stands in until a first-byte time is reported', async t => {
  const s = new UpstreamState('tcp://x:1', 1, 0)
  t.equal(s.ewmaMs, undefined)
  s.recordConnectTime(10)
  t.equal(s.ewmaMs, 10)
  s.recordSuccess(40)
  t.equal(s.ewmaMs, 40, 'first-byte time replaces connect time')
  s.recordSuccess(60)
  t.ok(s.ewmaMs! > 40 && s.ewmaMs! < 60, `moving average: ${s.ewmaMs}`)
  t.equal(new UpstreamState('tcp://x:1', 0, 0).weight, 1, 'a non-positive weight is clamped to 1')
})

// Properties over random weights and clients, each time-boxed.
const weightsArb = fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 8 })

t.test('property: one round_robin cycle of sum(weights) picks gives each upstream exactly its weight', async t => {
  fc.assert(fc.property(weightsArb, weights => {
    const b = smoothRoundRobin()
    const list = states(weights)
    const total = weights.reduce((a, w) => a + w, 0)
    const counts = weights.map(() => 0)
    for (let i = 0; i < total; i++) counts[b.pick(list, '').index]++
    return counts.every((n, i) => n === weights[i]) && list.every(s => s.currentWeight === 0)
  }), { interruptAfterTimeLimit: 3000, numRuns: 500 })
  t.pass('held')
})

t.test('property: removing any upstream moves only the hash clients it had', async t => {
  fc.assert(fc.property(weightsArb, fc.array(fc.ipV4(), { minLength: 1, maxLength: 50 }), fc.nat(), (weights, ips, r) => {
    if (weights.length < 2) return true
    const b = rendezvousHash()
    const list = states(weights)
    const gone = list[r % list.length]
    const rest = list.filter(s => s !== gone)
    return ips.every(ip => {
      const before = b.pick(list, ip)
      const after = b.pick(rest, ip)
      return before === gone ? after !== gone : after === before
    })
  }), { interruptAfterTimeLimit: 3000, numRuns: 300 })
  t.pass('held')
})

t.test('property: every balancer picks one of the candidates, whatever the RNG returns', async t => {
  fc.assert(fc.property(weightsArb, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.ipV4(), (weights, x, ip) => {
    const list = states(weights)
    for (const b of [smoothRoundRobin(), weightedRandom(() => x), rendezvousHash(), leastTime()]) {
      if (!list.includes(b.pick(list, ip))) return false
    }
    return true
  }), { interruptAfterTimeLimit: 3000, numRuns: 500 })
  t.pass('held')
})
