// The tunnel registry: schemes to kinds, routing open/listen by URL, closing kinds in reverse.
import t from 'tap'
import { TunnelRegistry } from '../../../src/tunnel/registry.ts'
import { memoryTunnel } from '../../../src/tunnel/memory/index.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import type { Tunnel } from '../../../src/tunnel/types.ts'
import { acceptOne, readAll } from '../../compliance/stream-helpers.ts'

const deps = { logger: silentLogger() }

function stub (scheme: string, closed: string[] = []): Tunnel {
  return {
    scheme,
    open: async () => { throw new Error('not used') },
    listen: async () => { throw new Error('not used') },
    close: async () => { closed.push(scheme) }
  }
}

t.test('register, get, has, schemes', async t => {
  const r = new TunnelRegistry()
  const mem = memoryTunnel(deps)
  t.equal(r.register(mem), r, 'register chains')
  t.equal(r.get('mem'), mem)
  t.equal(r.get('mem:'), mem, 'a URL protocol (with colon) works too')
  t.ok(r.has('mem'))
  t.notOk(r.has('tcp'))
  t.same(r.schemes(), ['mem'])
})

t.test('a scheme registers once', async t => {
  const r = new TunnelRegistry().register(stub('x'))
  t.throws(() => r.register(stub('x')), { code: 'TUN_ERR_DUPLICATE_SCHEME' })
})

t.test('unknown schemes and bad URLs are coded errors', async t => {
  const r = new TunnelRegistry().register(stub('x'))
  const err = (() => { try { r.get('nope'); return null } catch (e) { return e as Error & { code: string } } })()
  t.equal(err?.code, 'TUN_ERR_UNKNOWN_SCHEME')
  t.match(err?.message, /known: x/, 'the message lists the known schemes')
  t.throws(() => new TunnelRegistry().get('tcp'), { code: 'TUN_ERR_UNKNOWN_SCHEME' })
  // whether open() throws or rejects, an awaiting caller sees the coded error
  await t.rejects(async () => await r.open('nope://a/', { signal: AbortSignal.timeout(1000) }), { code: 'TUN_ERR_UNKNOWN_SCHEME' })
  await t.rejects(async () => await r.open('not a url', { signal: AbortSignal.timeout(1000) }), { code: 'TUN_ERR_INVALID_URL' })
  await t.rejects(async () => await r.listen('nope://a/'), { code: 'TUN_ERR_UNKNOWN_SCHEME' })
})

t.test('open and listen route by scheme, from strings or URLs', async t => {
  const r = new TunnelRegistry().register(stub('x')).register(memoryTunnel(deps))
  const l = await r.listen('mem://svc')
  const [client, server] = await Promise.all([r.open(new URL('mem://svc'), { signal: AbortSignal.timeout(5000) }), acceptOne(l)])
  const got = readAll(server)
  client.end('routed')
  t.equal((await got).toString(), 'routed')
  await r.close()
})

t.test('close() closes every kind, last registered first', async t => {
  const closed: string[] = []
  const r = new TunnelRegistry().register(stub('a', closed)).register(stub('b', closed)).register({ ...stub('c'), close: undefined })
  await r.close()
  t.same(closed, ['b', 'a'])
})
