// The internal:// kind: in-process handlers reached by name through stream.duplexPair().
import t from 'tap'
import { once } from 'node:events'
import type { Duplex } from 'node:stream'
import { internalTunnel } from '../../../src/tunnel/internal/index.ts'
import { TunnelRegistry } from '../../../src/tunnel/registry.ts'

const signal = (): AbortSignal => AbortSignal.timeout(5000)

function drain (s: Duplex): Promise<string> {
  return new Promise(resolve => {
    let text = ''
    s.on('data', (d: Buffer) => { text += d.toString() })
    s.once('end', () => resolve(text))
  })
}

t.test('open reaches the handler registered by name: bytes both ways, half-close kept', async t => {
  const { tunnel, register } = internalTunnel()
  const registry = new TunnelRegistry().register(tunnel)
  const seen: string[] = []
  register('echo', d => { void drain(d).then(text => { seen.push(text); d.end(`echo:${text}`) }) })
  const s = await registry.open('internal://echo', { signal: signal() })
  t.equal(s.remoteUrl.href, 'internal://echo')
  t.match(s.id, /^internal-\d+$/)
  const answer = drain(s)
  s.end('ping')
  t.equal(await answer, 'echo:ping', 'the answer comes after our end: the reverse direction survives it')
  t.same(seen, ['ping'])
})

t.test('unknown names are refused, coded; unregistering refuses again; names are unique', async t => {
  const { tunnel, register } = internalTunnel()
  await t.rejects(tunnel.open(new URL('internal://api'), { signal: signal() }), { code: 'TUN_ERR_CONNECT_REFUSED' })
  const off = register('api', d => d.end())
  t.throws(() => register('API', () => {}), { code: 'TUN_ERR_INTERNAL_DUPLICATE' })
  t.throws(() => register('a b', () => {}), { code: 'TUN_ERR_INTERNAL_BAD_NAME' })
  const s = await tunnel.open(new URL('internal://API'), { signal: signal() })
  s.resume()
  await once(s, 'end')
  off()
  await t.rejects(tunnel.open(new URL('internal://api'), { signal: signal() }), { code: 'TUN_ERR_CONNECT_REFUSED' })
  await t.rejects(tunnel.open(new URL('internal://api'), { signal: AbortSignal.abort() }), { code: 'TUN_ERR_ABORTED' })
  await t.rejects(tunnel.listen(new URL('internal://api')), { code: 'TUN_ERR_NOT_SUPPORTED' })
  register('boom', () => { throw new Error('handler bug') })
  await t.rejects(tunnel.open(new URL('internal://boom'), { signal: signal() }), { code: 'TUN_ERR_CONNECT_REFUSED' })
})

t.test('destroying one end resets the other; a clean close does not', async t => {
  const { tunnel, register } = internalTunnel()
  let server: Duplex | undefined
  register('x', d => { server = d })
  const s = await tunnel.open(new URL('internal://x'), { signal: signal() })
  const failed = once(s, 'error')
  server!.destroy()
  const [err] = await failed as [{ code: string }]
  t.equal(err.code, 'TUN_ERR_INTERNAL_RESET')
  t.ok(s.destroyed)

  const s2 = await tunnel.open(new URL('internal://x'), { signal: signal() })
  const srv = server!
  srv.on('data', () => {})
  srv.on('end', () => srv.end('bye'))
  let errored = false
  s2.on('error', () => { errored = true })
  const closed = once(s2, 'close')
  const text = drain(s2)
  s2.end('hi')
  t.equal(await text, 'bye')
  await closed
  t.notOk(errored, 'no reset after both sides ended')
})
