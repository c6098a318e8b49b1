// forwardConnection over real loopback sockets: client ⇄ [gateway side | forward | upstream].
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { createUpstreamGroup, type UpstreamDeps } from '../../../../src/chain/upstream/group.ts'
import { forwardConnection } from '../../../../src/chain/upstream/forward.ts'
import type { ConnectOptions, UpstreamGroupSpec } from '../../../../src/chain/types.ts'
import { TunnelRegistry } from '../../../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../../../src/tunnel/tcp/index.ts'
import { silentLogger } from '../../../../src/core/logger.ts'
import { closedPort } from '../../../helpers/free-port.ts'
import { blackholePort } from '../../../helpers/blackhole.ts'
import { server, drain } from './helpers.ts'

const logger = silentLogger()
const registry = new TunnelRegistry().register(tcpTunnel({ logger }))
t.teardown(() => registry.close())
const tcpOpen: UpstreamDeps['open'] = async (url, o) => await registry.open(url, o)

function spec (urls: string[], extra: Partial<UpstreamGroupSpec> = {}): UpstreamGroupSpec {
  return { upstreams: urls.map(url => ({ url, weight: 1 })), balance: 'round_robin', connectTimeoutMs: 5000, tries: urls.length, health: { failures: 1, cooldownMs: 60_000 }, ...extra }
}

function opts (signal: AbortSignal = AbortSignal.timeout(10_000)): ConnectOptions {
  return { signal, source: { address: '192.0.2.1', port: 1 }, destination: { address: '127.0.0.1', port: 2 } }
}

/** Resolves on 'close' whatever came before it (events.once would reject on 'error'). */
function closeOf (s: net.Socket): Promise<void> {
  return new Promise(resolve => s.once('close', () => resolve()))
}

/** A connected pair: `client` is the user's socket, `side` the gateway's accepted end of it. */
async function clientPair (t: { teardown(fn: () => unknown): void }): Promise<{ client: net.Socket, side: net.Socket }> {
  const front = net.createServer({ allowHalfOpen: true })
  front.listen(0, '127.0.0.1'); await once(front, 'listening')
  const accepted = once(front, 'connection')
  const client = net.connect({ port: (front.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true })
  client.on('error', () => {})
  const [side] = await accepted as [net.Socket]
  t.teardown(() => { client.destroy(); side.destroy(); front.close() })
  return { client, side }
}

t.test('bytes both ways with half-close, counts returned, ok reported with a first-byte time', { timeout: 10_000 }, async t => {
  // The upstream answers only after the client's end: the reverse direction must survive it.
  const up = await server(s => { void drain(s).then(b => s.end(`got ${b.length}: ${b.toString()}`)) })
  t.teardown(() => up.close())
  const group = createUpstreamGroup(spec([up.url]), { open: tcpOpen, logger })
  const { client, side } = await clientPair(t)
  const result = forwardConnection(side, group, opts())
  const answer = drain(client)
  client.end('request')
  t.equal((await answer).toString(), 'got 7: request')
  const r = await result
  t.same(r, { upstream: up.url, bytesIn: 7, bytesOut: 14 })
  const snap = group.snapshot()[0]
  t.equal(snap.failures, 0)
  t.equal(typeof snap.ewmaMs, 'number')
})

t.test('bytes the probe unshift()-ed back reach the upstream first', { timeout: 10_000 }, async t => {
  let upstreamGot!: Promise<Buffer>
  const up = await server(s => { upstreamGot = drain(s); void upstreamGot.then(() => s.end()) })
  t.teardown(() => up.close())
  const group = createUpstreamGroup(spec([up.url]), { open: tcpOpen, logger })
  const { client, side } = await clientPair(t)
  client.write('HEAD ')
  await once(side, 'readable')
  const peeked = side.read() as Buffer
  side.unshift(peeked)
  const result = forwardConnection(side, group, opts())
  client.end('TAIL')
  const r = await result
  t.equal((await upstreamGot).toString(), 'HEAD TAIL')
  t.equal(r.bytesIn, 9)
})

t.test('an upstream reset before any byte is reported as a failure', { timeout: 10_000 }, async t => {
  const up = await server(s => { s.once('data', () => s.resetAndDestroy()) })
  t.teardown(() => up.close())
  const group = createUpstreamGroup(spec([up.url]), { open: tcpOpen, logger })
  const { client, side } = await clientPair(t)
  const result = forwardConnection(side, group, opts())
  const clientErr = closeOf(client)
  client.write('hello')
  const r = await result
  t.equal(r.upstream, up.url)
  t.equal(r.error?.code, 'CHAIN_ERR_UPSTREAM_RESET')
  t.equal(r.bytesOut, 0)
  t.equal(r.bytesIn, 5)
  t.same(group.snapshot().map(s => [s.healthy, s.failures]), [[false, 1]], 'passive health counted it')
  await clientErr
  t.ok(client.destroyed, 'the client was torn down too')
})

t.test('an upstream that answered and then reset is not a health failure', { timeout: 10_000 }, async t => {
  // Waits for the client's bytes so the reset cannot race the connect itself.
  const up = await server(s => { s.once('data', () => s.write('partial', () => s.resetAndDestroy())) })
  t.teardown(() => up.close())
  const group = createUpstreamGroup(spec([up.url]), { open: tcpOpen, logger })
  const { client, side } = await clientPair(t)
  const result = forwardConnection(side, group, opts())
  const got = drain(client)
  client.write('hi')
  const r = await result
  t.ok(r.error != null, `an error is returned: ${r.error?.code} ${r.error?.message}`)
  t.equal(r.bytesOut, 7)
  t.equal((await got).toString(), 'partial')
  t.same(group.snapshot().map(s => [s.healthy, s.failures]), [[true, 0]])
})

t.test('no upstream reachable: coded error, zero bytes, client reset', { timeout: 10_000 }, async t => {
  const group = createUpstreamGroup(spec([`tcp://127.0.0.1:${await closedPort()}`]), { open: tcpOpen, logger })
  const { client, side } = await clientPair(t)
  const closed = closeOf(client)
  const r = await forwardConnection(side, group, opts())
  t.same(r, { bytesIn: 0, bytesOut: 0, error: { code: 'CHAIN_ERR_UPSTREAM_UNAVAILABLE', message: r.error?.message } })
  await closed
  t.ok(side.destroyed)
})

t.test('a client that resets while the upstream is connecting aborts the connect', { timeout: 15_000 }, async t => {
  const hole = `tcp://127.0.0.1:${await blackholePort(t)}`
  let opened!: () => void
  const opening = new Promise<void>(resolve => { opened = resolve })
  const group = createUpstreamGroup(spec([hole], { connectTimeoutMs: 10_000 }), {
    open: (url, o) => { opened(); return tcpOpen(url, o) },
    logger
  })
  const { client, side } = await clientPair(t)
  const started = performance.now()
  const result = forwardConnection(side, group, opts())
  await opening
  // A reset: the gateway side closes. (A FIN alone may be a half-close with the client still
  // waiting for an answer, so it must not abort anything.)
  client.resetAndDestroy()
  const r = await result
  t.equal(r.error?.code, 'TUN_ERR_ABORTED')
  t.ok(performance.now() - started < 5000, 'well before the connect timeout')
  t.same(group.snapshot().map(s => [s.failures, s.active]), [[0, 0]])
})

t.test('the caller\'s signal tears down an established forward', { timeout: 10_000 }, async t => {
  let gotData!: () => void
  const upstreamHasData = new Promise<void>(resolve => { gotData = resolve })
  const up = await server(s => s.once('data', () => gotData()))
  t.teardown(() => up.close())
  const group = createUpstreamGroup(spec([up.url]), { open: tcpOpen, logger })
  const { client, side } = await clientPair(t)
  const ac = new AbortController()
  const result = forwardConnection(side, group, opts(ac.signal))
  client.write('x')
  await upstreamHasData
  const closed = closeOf(client)
  ac.abort()
  const r = await result
  t.equal(r.upstream, up.url)
  t.ok(r.error != null)
  await closed
})
