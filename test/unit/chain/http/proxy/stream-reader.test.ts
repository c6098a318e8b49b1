// StreamReader: chunks in order, put-back bytes first, a bounded queue (the stream is paused), end and errors.
import t from 'tap'
import { duplexPair } from 'node:stream'
import { StreamReader } from '../../../../../src/chain/http/proxy/stream-reader.ts'

async function next (r: StreamReader): Promise<Buffer | null> {
  for (;;) {
    const c = r.take()
    if (c !== undefined) return c
    await r.wait()
  }
}

t.test('chunks in order, unshift first, null at the end', async t => {
  const [a, b] = duplexPair()
  const r = new StreamReader(a)
  b.write('one'); b.write('two'); b.end()
  t.equal((await next(r))?.toString(), 'one')
  r.unshift(Buffer.from('back'))
  t.equal((await next(r))?.toString(), 'back')
  t.equal((await next(r))?.toString(), 'two')
  t.equal(await next(r), null)
})

t.test('the stream is paused above the high-water mark and resumed on demand', async t => {
  const [a, b] = duplexPair()
  const r = new StreamReader(a, 8)
  b.write('0123456789')
  await r.wait()
  t.ok(a.isPaused(), 'paused with 10 bytes queued')
  t.equal(r.buffered, 10)
  t.equal(r.take()?.toString(), '0123456789')
  t.equal(r.take(), undefined)
  t.notOk(a.isPaused(), 'resumed when the queue ran dry')
  a.destroy(); b.destroy()
})

t.test('a destroyed stream makes take() throw; detach hands back unread bytes', async t => {
  const [a, b] = duplexPair()
  const r = new StreamReader(a)
  b.write('left')
  await r.wait()
  const [c, d] = duplexPair()
  const r2 = new StreamReader(c)
  d.write('x')
  await r2.wait()
  t.equal(r2.detach().toString(), 'x')
  a.destroy()
  await new Promise(resolve => a.once('close', resolve))
  t.equal(r.take()?.toString(), 'left', 'queued bytes are still handed out')
  t.throws(() => r.take(), { code: 'ECONNRESET' })
  t.notOk(r.usable)
  b.destroy(); c.destroy(); d.destroy()
})

t.test('interrupt wakes a waiter', async t => {
  const [a, b] = duplexPair()
  const r = new StreamReader(a)
  const w = r.wait()
  r.interrupt()
  await w
  t.equal(r.take(), undefined)
  a.destroy(); b.destroy()
})
