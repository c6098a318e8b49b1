// mem:// specifics beyond the compliance suite: names, bounded buffers measured exactly, peer
// destroy as ECONNRESET, chunk copies, and aborted opens never reaching the listener.
import t from 'tap'
import { once } from 'node:events'
import { memoryTunnel } from '../../../src/tunnel/memory/index.ts'
import { MemoryStream } from '../../../src/tunnel/memory/memory-stream.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { acceptOne, readAll } from '../../compliance/stream-helpers.ts'

const deps = { logger: silentLogger() }
const signal = (): AbortSignal => AbortSignal.timeout(5000)
const pair = (hwm?: number): [MemoryStream, MemoryStream] => MemoryStream.pair(new URL('mem://a'), new URL('mem://b'), hwm)

t.test('names: duplicate listen, no listener, reuse after close, missing name', async t => {
  const tunnel = memoryTunnel(deps)
  const l = await tunnel.listen(new URL('mem://svc'))
  t.equal(l.url.href, 'mem://svc')
  await t.rejects(tunnel.listen(new URL('mem://svc')), { code: 'TUN_ERR_ADDRESS_IN_USE' })
  await t.rejects(tunnel.open(new URL('mem://other'), { signal: signal() }), { code: 'TUN_ERR_CONNECT_REFUSED' })
  await l.close()
  await t.rejects(tunnel.open(new URL('mem://svc'), { signal: signal() }), { code: 'TUN_ERR_CONNECT_REFUSED' }, 'closed listener refuses')
  const again = await tunnel.listen(new URL('mem://svc'))
  t.equal(again.url.href, 'mem://svc', 'the name is free again after close')
  await t.rejects(tunnel.open(new URL('mem:///x'), { signal: signal() }), { code: 'TUN_ERR_INVALID_URL' })
  const other = memoryTunnel(deps)
  await t.rejects(other.open(new URL('mem://svc'), { signal: signal() }), { code: 'TUN_ERR_CONNECT_REFUSED' }, 'tunnels do not share names')
  await tunnel.close?.()
})

t.test('a writer whose peer does not read is held within two high-water marks', async t => {
  const hwm = 16 * 1024
  const chunk = Buffer.alloc(4096, 1)
  const [a, b] = pair(hwm)
  let writes = 0
  while (a.write(chunk) && writes < 1000) writes++
  t.ok(writes < 1000, `write() returned false after ${writes + 1} writes`)
  t.ok(a.writableLength <= hwm + chunk.length, `writer buffer bounded (${a.writableLength})`)
  t.ok(b.readableLength <= hwm + chunk.length, `reader buffer bounded (${b.readableLength})`)
  const total = (writes + 1) * chunk.length
  const got = readAll(b)
  await once(a, 'drain')
  t.pass('the writer drains once the reader reads')
  a.end()
  t.equal((await got).length, total, 'every byte arrives, once')
})

t.test('destroy before both ends finished resets the peer with ECONNRESET', async t => {
  const [a, b] = pair()
  const errored = once(b, 'error')
  a.destroy()
  const [err] = await errored as [Error & { code?: string }]
  t.equal(err.code, 'ECONNRESET')
  t.ok(b.destroyed)
})

t.test('destroy after both ends finished is a plain close for the peer', async t => {
  const [a, b] = pair()
  const errors: Error[] = []
  b.on('error', (e: Error) => errors.push(e))
  const fromB = readAll(a)
  const fromA = readAll(b)
  a.end('x'); b.end('y')
  t.equal((await fromB).toString(), 'y')
  t.equal((await fromA).toString(), 'x')
  a.destroy()
  if (!b.closed) await once(b, 'close')
  t.same(errors, [], 'no error on the peer')
})

t.test('a writer reusing its buffer after the callback does not change what was sent', async t => {
  const [a, b] = pair()
  const buf = Buffer.from('first')
  await new Promise<void>(resolve => a.write(buf, () => resolve())) // b is not reading: the bytes wait in its buffer
  buf.write('XXXXX')
  a.end()
  t.equal((await readAll(b)).toString(), 'first')
})

t.test('an aborted open never reaches the listener', async t => {
  const tunnel = memoryTunnel(deps)
  t.teardown(() => tunnel.close?.())
  const l = await tunnel.listen(new URL('mem://svc'))
  const ac = new AbortController()
  const opening = tunnel.open(l.url, { signal: ac.signal })
  ac.abort()
  await t.rejects(opening, { code: 'TUN_ERR_ABORTED' })
  const [client, server] = await Promise.all([tunnel.open(l.url, { signal: signal() }), acceptOne(l)])
  const got = readAll(server)
  client.end('second')
  t.equal((await got).toString(), 'second', 'the first stream accepted is the second open')
})

t.test('a listener whose accept queue is full refuses the open', async t => {
  const tunnel = memoryTunnel(deps, { maxPendingAccepts: 1 })
  t.teardown(() => tunnel.close?.())
  const l = await tunnel.listen(new URL('mem://busy'))
  const first = await tunnel.open(l.url, { signal: signal() })
  await t.rejects(tunnel.open(l.url, { signal: signal() }), { code: 'TUN_ERR_CONNECT_REFUSED' })
  first.destroy()
})
