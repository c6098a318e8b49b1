// The shared accept queue: order, the bound (shed with a coded error), close semantics, abort.
import t from 'tap'
import { ListenerQueue } from '../../../src/tunnel/listener-queue.ts'
import { MemoryStream } from '../../../src/tunnel/memory/memory-stream.ts'

const url = new URL('mem://q')
// events.once() would reject on the 'error' that precedes 'close'; these tests expect that error.
const closed = (s: MemoryStream): Promise<void> => new Promise(resolve => s.once('close', () => resolve()))
function stream (): MemoryStream {
  const [client, server] = MemoryStream.pair(new URL('mem://client'), url)
  client.on('error', () => {}) // these tests reset server ends; the client ends are not watched
  return server
}

t.test('streams come out in arrival order, across accept() calls', async t => {
  const q = new ListenerQueue(url)
  const [a, b, c] = [stream(), stream(), stream()]
  q.push(a); q.push(b)
  const got: MemoryStream[] = []
  for await (const s of q.accept()) { got.push(s as MemoryStream); if (got.length === 2) break }
  const next = (async () => { for await (const s of q.accept()) return s })()
  q.push(c) // a consumer is waiting: handed over directly
  t.same([...got, await next].map(s => s?.id), [a, b, c].map(s => s.id))
  await q.close()
})

t.test('past maxPending a stream is shed with TUN_ERR_ACCEPT_QUEUE_FULL', async t => {
  const q = new ListenerQueue(url, undefined, { maxPending: 2 })
  const streams = [stream(), stream(), stream()]
  t.same(streams.map(s => q.push(s)), [true, true, false])
  t.equal(q.pending, 2)
  const err = await closed(streams[2]).then(() => streams[2].errored) as Error & { code?: string }
  t.equal(err?.code, 'TUN_ERR_ACCEPT_QUEUE_FULL')
  await q.close()
})

t.test('close ends iterations, resets queued streams, leaves taken ones alone', async t => {
  let closes = 0
  const q = new ListenerQueue(url, () => { closes++ })
  const taken = stream()
  q.push(taken)
  const iter = q.accept()[Symbol.asyncIterator]()
  t.equal((await iter.next()).value, taken)
  const waiting = iter.next() // nothing queued: this one waits
  await q.close()
  await q.close()
  t.equal(closes, 1, 'onClose runs once')
  t.ok(q.closed)
  t.same(await waiting, { done: true, value: undefined }, 'a waiting iteration ends')
  t.notOk(taken.destroyed, 'the taken stream is untouched')
  const late = stream()
  t.equal(q.push(late), false, 'push after close is refused')
  await closed(late)
  t.equal((late.errored as { code?: string } | null)?.code, 'TUN_ERR_LISTENER_CLOSED')

  const q2 = new ListenerQueue(url)
  const queued = stream()
  q2.push(queued)
  await q2.close()
  await closed(queued)
  t.equal((queued.errored as { code?: string } | null)?.code, 'TUN_ERR_LISTENER_CLOSED', 'a queued stream is reset')
  t.same(await (async () => { const n = []; for await (const s of q2.accept()) n.push(s); return n })(), [], 'and never handed out')
})

t.test('aborting accept() ends that iteration only', async t => {
  const q = new ListenerQueue(url)
  const ac = new AbortController()
  const aborted = (async () => { for await (const s of q.accept({ signal: ac.signal })) return s; return null })()
  ac.abort()
  t.equal(await aborted, null)
  t.notOk(q.closed, 'the listener stays open')
  const s = stream()
  q.push(s)
  for await (const got of q.accept()) { t.equal(got, s, 'the next stream goes to the next consumer'); break }
  await q.close()
})

t.test('a stream reset while queued neither crashes nor is handed out', async t => {
  const q = new ListenerQueue(url)
  const [client, server] = MemoryStream.pair(new URL('mem://client'), url)
  const healthy = stream()
  q.push(server); q.push(healthy)
  client.destroy() // resets `server` with ECONNRESET while nobody listens on it but the queue
  await closed(server)
  t.equal(q.pending, 1)
  for await (const got of q.accept()) { t.equal(got, healthy); break }
  await q.close()
})

t.test('await using closes the listener', async t => {
  let closed = false
  {
    await using q = new ListenerQueue(url, () => { closed = true })
    t.notOk(q.closed)
  }
  t.ok(closed)
})
