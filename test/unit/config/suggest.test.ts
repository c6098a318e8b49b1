import t from 'tap'
import { closest, distance } from '../../../src/config/suggest.ts'

const keys = ['listen', 'trust', 'targets', 'peers', 'limits', 'keepalive', 'reconnect', 'relay']

t.test('typos and other case styles find the meant key', async t => {
  t.equal(closest('lisen', keys), 'listen')
  t.equal(closest('listne', keys), 'listen', 'a swap is one edit')
  t.equal(closest('peer', keys), 'peers')
  t.equal(closest('keep_alive', keys), 'keepalive')
  t.equal(closest('allowAny', ['devices', 'allow_any']), 'allow_any')
  t.equal(closest('MAX_STREAMS_PER_TUNNEL', ['max_streams_per_tunnel']), 'max_streams_per_tunnel')
})

t.test('unrelated words get no suggestion', async t => {
  t.equal(closest('zone', keys), undefined)
  t.equal(closest('id', ['via', 'did']), 'did', 'one edit on a short word')
  t.equal(closest('xy', ['via']), undefined)
  t.equal(closest('x'.repeat(10_000), keys), undefined, 'a huge word costs nothing')
  t.equal(closest('anything', []), undefined)
})

t.test('distance', async t => {
  t.equal(distance('', ''), 0)
  t.equal(distance('abc', ''), 3)
  t.equal(distance('kitten', 'sitting'), 3)
  t.equal(distance('ab', 'ba'), 1)
})
