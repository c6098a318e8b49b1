// The idle upstream pool: LIFO, bounded per URL, idle timeout, and streams that misbehave while idle are dropped.
import t from 'tap'
import { duplexPair } from 'node:stream'
import { once } from 'node:events'
import { createUpstreamPool } from '../../../../../src/chain/http/proxy/pool.ts'
import { readerFor } from '../../../../../src/chain/http/proxy/stream-reader.ts'

function stream (): { ours: ReturnType<typeof duplexPair>[0], peer: ReturnType<typeof duplexPair>[1] } {
  const [ours, peer] = duplexPair()
  readerFor(ours) // the engine always reads upstream streams through their reader
  return { ours, peer }
}

t.test('LIFO per URL, bounded, other URLs separate', async t => {
  const pool = createUpstreamPool({ maxIdlePerUrl: 2 })
  t.teardown(() => pool.close())
  const a = stream(); const b = stream(); const c = stream(); const d = stream()
  pool.put('u1', a.ours, 10_000)
  pool.put('u1', b.ours, 10_000)
  pool.put('u1', c.ours, 10_000)
  pool.put('u2', d.ours, 10_000)
  t.equal(pool.idle('u1'), 2)
  t.ok(a.ours.destroyed, 'the oldest was closed beyond the bound')
  t.equal(pool.take('u1'), c.ours)
  t.equal(pool.take('u1'), b.ours)
  t.equal(pool.take('u1'), undefined)
  t.equal(pool.take('u2'), d.ours)
})

t.test('a stream that sends bytes or closes while idle is discarded', async t => {
  const pool = createUpstreamPool()
  t.teardown(() => pool.close())
  const a = stream(); const b = stream()
  pool.put('u', a.ours, 10_000)
  pool.put('u', b.ours, 10_000)
  b.peer.write('HTTP/1.1 408 Request Timeout\r\n\r\n')
  a.peer.end()
  await Promise.all([once(a.ours, 'close'), once(b.ours, 'close')])
  t.equal(pool.idle('u'), 0)
  t.equal(pool.take('u'), undefined)
})

t.test('idle timeout closes the stream', async t => {
  const pool = createUpstreamPool()
  t.teardown(() => pool.close())
  const a = stream()
  pool.put('u', a.ours, 20)
  // The pool's timers are unref'd (they must not keep a gateway alive); this one keeps the test alive.
  const keep = setTimeout(() => {}, 5000)
  await once(a.ours, 'close')
  clearTimeout(keep)
  t.equal(pool.idle('u'), 0)
})

t.test('a taken stream is read normally again', async t => {
  const pool = createUpstreamPool()
  t.teardown(() => pool.close())
  const a = stream()
  pool.put('u', a.ours, 10_000)
  const s = pool.take('u')
  t.equal(s, a.ours)
  a.peer.write('hello')
  const r = readerFor(a.ours)
  let c = r.take()
  while (c === undefined) { await r.wait(); c = r.take() }
  t.equal(c?.toString(), 'hello')
  t.notOk(a.ours.destroyed)
  a.ours.destroy(); a.peer.destroy()
})
