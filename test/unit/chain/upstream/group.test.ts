// Upstream groups against real loopback servers (and a fake open where only the policy matters):
// balancing through the group, failover on refused and timeout, passive health, abort, reuse,
// least_time learning, PROXY headers.
import t from 'tap'
import { once } from 'node:events'
import { PassThrough, type Duplex } from 'node:stream'
import { createUpstreamGroup, type UpstreamDeps } from '../../../../src/chain/upstream/group.ts'
import { parseProxyHeader } from '../../../../src/chain/probes/proxy-protocol.ts'
import type { ConnectOptions, UpstreamGroupSpec } from '../../../../src/chain/types.ts'
import { TunnelRegistry } from '../../../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../../../src/tunnel/tcp/index.ts'
import { silentLogger } from '../../../../src/core/logger.ts'
import { closedPort } from '../../../helpers/free-port.ts'
import { blackholePort } from '../../../helpers/blackhole.ts'
import { FakeClock, mulberry32, nullStream, server, drain } from './helpers.ts'

const logger = silentLogger()
const registry = new TunnelRegistry().register(tcpTunnel({ logger }))
t.teardown(() => registry.close())
const tcpOpen: UpstreamDeps['open'] = async (url, o) => await registry.open(url, o)

function spec (urls: string[], extra: Partial<UpstreamGroupSpec> = {}): UpstreamGroupSpec {
  return {
    upstreams: urls.map(url => ({ url, weight: 1 })),
    balance: 'round_robin',
    connectTimeoutMs: 5000,
    tries: urls.length,
    health: { failures: 3, cooldownMs: 10_000 },
    ...extra
  }
}

function opts (extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return {
    signal: AbortSignal.timeout(10_000),
    source: { address: '192.0.2.10', port: 40000 },
    destination: { address: '127.0.0.1', port: 8443 },
    ...extra
  }
}

async function codeOf (p: Promise<unknown>): Promise<{ code?: string, attempts?: Array<{ url: string, code: string }> }> {
  return await p.then(() => ({ code: 'resolved' }), (e: unknown) => e as { code?: string })
}

t.test('round_robin through real servers: nginx order for 5/1/1, active counted until close', async t => {
  const servers = await Promise.all([server(), server(), server()])
  t.teardown(() => servers.forEach(s => s.close()))
  const group = createUpstreamGroup({ ...spec(servers.map(s => s.url)), upstreams: servers.map((s, i) => ({ url: s.url, weight: i === 0 ? 5 : 1 })) }, { open: tcpOpen, logger })
  const seq: string[] = []
  for (let i = 0; i < 7; i++) {
    const c = await group.connect(opts())
    t.equal(c.reused, false)
    seq.push('abc'[servers.findIndex(s => s.url === c.url)])
    c.stream.destroy()
    await once(c.stream, 'close')
  }
  t.equal(seq.join(''), 'aabacaa')
  const c = await group.connect(opts())
  t.same(group.snapshot().map(s => s.active), [1, 0, 0], 'an open stream counts as active')
  c.stream.destroy()
  await once(c.stream, 'close')
  t.same(group.snapshot().map(s => s.active), [0, 0, 0])
  t.same(group.snapshot().map(s => s.weight), [5, 1, 1])
  t.ok(group.snapshot().every(s => s.healthy && s.failures === 0 && typeof s.ewmaMs === 'number'), 'connect times measured')
})

t.test('random through the group follows weights with an injected RNG', async t => {
  const urls = ['mem://a', 'mem://b']
  const group = createUpstreamGroup({ ...spec(urls, { balance: 'random' }), upstreams: [{ url: urls[0], weight: 3 }, { url: urls[1], weight: 1 }] },
    { open: async () => nullStream(), logger, random: mulberry32(7) })
  const counts: Record<string, number> = { 'mem://a': 0, 'mem://b': 0 }
  for (let i = 0; i < 10_000; i++) {
    const c = await group.connect(opts())
    counts[c.url]++
    c.stream.destroy()
  }
  t.ok(Math.abs(counts['mem://a'] - 7500) < 200, JSON.stringify(counts))
})

t.test('hash through the group: source address only, and an unhealthy upstream moves only its clients', async t => {
  const urls = ['mem://a', 'mem://b', 'mem://c']
  const group = createUpstreamGroup(spec(urls, { balance: 'hash', health: { failures: 1, cooldownMs: 60_000 } }), { open: async () => nullStream(), logger })
  const pick = async (address: string, port = 1234): Promise<string> => {
    const c = await group.connect(opts({ source: { address, port } }))
    c.stream.destroy()
    return c.url
  }
  const clients = Array.from({ length: 300 }, (_, i) => `198.51.${100 + (i >> 8)}.${i & 255}`)
  const before = await Promise.all(clients.map(async c => await pick(c)))
  t.same(await Promise.all(clients.map(async c => await pick(c, 9999))), before, 'the client port does not matter')
  // Mark b down through a reported failure.
  const b = await group.connect(opts({ source: { address: clients[before.indexOf('mem://b')], port: 1 } }))
  t.equal(b.url, 'mem://b')
  b.report({ ok: false })
  b.report({ ok: false }) // idempotent: still one failure
  t.same(group.snapshot().map(s => [s.healthy, s.failures]), [[true, 0], [false, 1], [true, 0]])
  const after = await Promise.all(clients.map(async c => await pick(c)))
  for (let i = 0; i < clients.length; i++) {
    if (before[i] === 'mem://b') t.not(after[i], 'mem://b', 'b\'s clients moved')
    else if (after[i] !== before[i]) t.fail(`${clients[i]} moved from ${before[i]} to ${after[i]}`)
  }
  t.ok(before.includes('mem://b'), 'b had clients to move')
})

t.test('least_time prefers the faster of two real upstreams, and the idle one over a busy one', async t => {
  const servers = await Promise.all([server(), server()])
  t.teardown(() => servers.forEach(s => s.close()))
  const group = createUpstreamGroup(spec(servers.map(s => s.url), { balance: 'least_time' }), { open: tcpOpen, logger })
  const [slow, fast] = servers.map(s => s.url)
  // First two connections meet no measurements: one each.
  const c1 = await group.connect(opts())
  const c2 = await group.connect(opts())
  t.not(c1.url, c2.url, 'unmeasured and equally loaded: rotate')
  for (const c of [c1, c2]) {
    c.report({ ok: true, firstByteMs: c.url === slow ? 80 : 5 })
    c.stream.destroy(); await once(c.stream, 'close')
  }
  const picks: string[] = []
  for (let i = 0; i < 5; i++) {
    const c = await group.connect(opts())
    picks.push(c.url)
    c.stream.destroy(); await once(c.stream, 'close')
  }
  t.same(picks, Array(5).fill(fast), 'all to the faster one while both are idle')
  const busy = await group.connect(opts())
  t.equal(busy.url, fast)
  const next = await group.connect(opts())
  t.equal(next.url, slow, 'the faster one has an active stream: the idle one wins')
  busy.stream.destroy(); next.stream.destroy()
})

t.test('failover on a refused connect, with the failure counted', async t => {
  const live = await server()
  t.teardown(() => live.close())
  const refused = `tcp://127.0.0.1:${await closedPort()}`
  const group = createUpstreamGroup(spec([refused, live.url]), { open: tcpOpen, logger })
  const c = await group.connect(opts())
  t.equal(c.url, live.url)
  t.same(group.snapshot().map(s => [s.failures, s.active]), [[1, 0], [0, 1]])
  c.stream.destroy()
})

t.test('all upstreams failing gives one coded error listing each failure', async t => {
  const a = `tcp://127.0.0.1:${await closedPort()}`
  const b = `tcp://127.0.0.1:${await closedPort()}`
  const group = createUpstreamGroup(spec([a, b]), { open: tcpOpen, logger })
  const err = await codeOf(group.connect(opts()))
  t.equal(err.code, 'CHAIN_ERR_UPSTREAM_UNAVAILABLE')
  t.same(err.attempts?.map(f => [f.url, f.code]), [[a, 'TUN_ERR_CONNECT_REFUSED'], [b, 'TUN_ERR_CONNECT_REFUSED']])
  t.match((err as Error).message, a)
})

t.test('tries bounds the attempts', async t => {
  const urls = ['mem://a', 'mem://b', 'mem://c']
  let opens = 0
  const group = createUpstreamGroup(spec(urls, { tries: 2 }), { open: async () => { opens++; throw Object.assign(new Error('no'), { code: 'X' }) }, logger })
  const err = await codeOf(group.connect(opts()))
  t.equal(err.code, 'CHAIN_ERR_UPSTREAM_UNAVAILABLE')
  t.equal(opens, 2)
  t.equal(err.attempts?.length, 2)
})

t.test('failover on a connect timeout, bounded by connectTimeoutMs', { timeout: 15_000 }, async t => {
  const hole = `tcp://127.0.0.1:${await blackholePort(t)}`
  const live = await server()
  t.teardown(() => live.close())
  const group = createUpstreamGroup(spec([hole, live.url], { connectTimeoutMs: 300 }), { open: tcpOpen, logger })
  const started = performance.now()
  const c = await group.connect(opts())
  const elapsed = performance.now() - started
  t.equal(c.url, live.url)
  t.ok(elapsed >= 250 && elapsed < 2000, `waited about connectTimeoutMs: ${Math.round(elapsed)} ms`)
  c.stream.destroy()

  const only = createUpstreamGroup(spec([hole], { connectTimeoutMs: 200 }), { open: tcpOpen, logger })
  const err = await codeOf(only.connect(opts()))
  t.same(err.attempts?.map(f => f.code), ['TUN_ERR_CONNECT_TIMEOUT'])
  t.same(only.snapshot().map(s => [s.failures, s.active]), [[1, 0]])
})

t.test('a tunnel ignoring the signal is still bounded, and its late stream is destroyed', async t => {
  let late: Duplex | undefined
  let deliver!: () => void
  const group = createUpstreamGroup(spec(['mem://slow'], { connectTimeoutMs: 50 }), {
    open: async () => await new Promise<Duplex>(resolve => { deliver = () => { late = nullStream(); resolve(late) } }),
    logger
  })
  const err = await codeOf(group.connect(opts()))
  t.same(err.attempts?.map(f => f.code), ['TUN_ERR_CONNECT_TIMEOUT'])
  deliver()
  await new Promise(resolve => setImmediate(resolve))
  t.equal(late?.destroyed, true)
})

t.test('the caller\'s abort mid-connect stops everything with TUN_ERR_ABORTED, not counted as a failure', { timeout: 15_000 }, async t => {
  const hole = `tcp://127.0.0.1:${await blackholePort(t)}`
  const live = await server()
  t.teardown(() => live.close())
  const ac = new AbortController()
  let opens = 0
  const group = createUpstreamGroup(spec([hole, live.url], { connectTimeoutMs: 10_000 }), {
    open: (url, o) => {
      opens++
      const p = tcpOpen(url, o)
      setImmediate(() => ac.abort()) // the connect is in flight now
      return p
    },
    logger
  })
  const started = performance.now()
  const err = await codeOf(group.connect(opts({ signal: ac.signal })))
  t.equal(err.code, 'TUN_ERR_ABORTED')
  t.ok(performance.now() - started < 2000, 'promptly')
  t.equal(opens, 1, 'no failover after an abort')
  t.same(group.snapshot().map(s => [s.failures, s.active]), [[0, 0], [0, 0]])
  const pre = await codeOf(group.connect(opts({ signal: AbortSignal.abort() })))
  t.equal(pre.code, 'TUN_ERR_ABORTED', 'already aborted: nothing opened')
  t.equal(opens, 1)
})

t.test('passive health: down after N consecutive failures for cooldownMs (fake clock), a success resets', async t => {
  const clock = new FakeClock()
  const failing = new Set(['mem://a'])
  const opened: string[] = []
  const group = createUpstreamGroup(spec(['mem://a', 'mem://b'], { tries: 1, health: { failures: 2, cooldownMs: 5000 } }), {
    open: async url => { opened.push(url); if (failing.has(url)) throw Object.assign(new Error('refused'), { code: 'TUN_ERR_CONNECT_REFUSED' }); return nullStream() },
    logger,
    now: clock.now
  })
  const urlOrCode = async (): Promise<string> => await group.connect(opts()).then(c => { c.stream.destroy(); return c.url }, (e: { code: string }) => e.code)
  // Rotation a, b, a, b: a fails twice and is then down.
  t.same([await urlOrCode(), await urlOrCode(), await urlOrCode()], ['CHAIN_ERR_UPSTREAM_UNAVAILABLE', 'mem://b', 'CHAIN_ERR_UPSTREAM_UNAVAILABLE'])
  t.same(group.snapshot().map(s => [s.healthy, s.failures]), [[false, 2], [true, 0]])
  opened.length = 0
  for (let i = 0; i < 4; i++) t.equal(await urlOrCode(), 'mem://b')
  t.same(opened, Array(4).fill('mem://b'), 'a is skipped while down')
  clock.advance(4999)
  t.equal(group.snapshot()[0].healthy, false)
  clock.advance(1)
  t.equal(group.snapshot()[0].healthy, true, 'cooldown over')
  opened.length = 0
  await urlOrCode(); await urlOrCode()
  t.ok(opened.includes('mem://a'), 'a is tried again after the cooldown')
  t.equal(group.snapshot()[0].healthy, false, 'one failure after the cooldown marks it down again')
  clock.advance(5000)
  failing.clear()
  opened.length = 0
  while (!opened.includes('mem://a')) {
    const c = await group.connect(opts())
    if (c.url === 'mem://a') c.report({ ok: true, firstByteMs: 3 })
    c.stream.destroy()
    await once(c.stream, 'close')
  }
  t.same(group.snapshot()[0], { url: 'mem://a', weight: 1, healthy: true, failures: 0, active: 0, ewmaMs: 3 }, 'a success resets the count')
  // Reported failures count as well.
  for (let i = 0; i < 2; i++) {
    let c = await group.connect(opts())
    while (c.url !== 'mem://a') { c.stream.destroy(); c = await group.connect(opts()) }
    c.report({ ok: false })
    c.stream.destroy()
  }
  t.equal(group.snapshot()[0].healthy, false, 'two reported failures mark it down')
})

t.test('when every upstream is down they are still tried (best effort)', async t => {
  const clock = new FakeClock()
  let fail = true
  const opened: string[] = []
  const group = createUpstreamGroup(spec(['mem://a', 'mem://b'], { health: { failures: 1, cooldownMs: 60_000 } }), {
    open: async url => { opened.push(url); if (fail) throw Object.assign(new Error('refused'), { code: 'TUN_ERR_CONNECT_REFUSED' }); return nullStream() },
    logger,
    now: clock.now
  })
  t.equal((await codeOf(group.connect(opts()))).code, 'CHAIN_ERR_UPSTREAM_UNAVAILABLE')
  t.same(group.snapshot().map(s => s.healthy), [false, false])
  opened.length = 0
  fail = false
  const c = await group.connect(opts())
  t.equal(opened.length, 1, 'a down upstream was opened rather than failing untried')
  c.report({ ok: true })
  t.equal(group.snapshot().filter(s => s.healthy).length, 1, 'and its success brings it back')
})

t.test('a reused stream is returned as is: no open, no PROXY header', async t => {
  let opens = 0
  const pooled = new PassThrough()
  const group = createUpstreamGroup(spec(['mem://a', 'mem://b'], { proxyProtocol: 'v1' }), { open: async () => { opens++; return nullStream() }, logger })
  const c = await group.connect(opts({ reuse: url => url === 'mem://a' ? pooled : undefined }))
  t.equal(c.url, 'mem://a')
  t.equal(c.reused, true)
  t.equal(c.stream, pooled)
  t.equal(opens, 0)
  t.equal(pooled.readableLength, 0, 'nothing written')
  t.equal(group.snapshot()[0].active, 1)
  pooled.destroy()
  await once(pooled, 'close')
  t.equal(group.snapshot()[0].active, 0)
})

t.test('PROXY v2 and v1 headers reach a raw upstream before the client\'s bytes', async t => {
  for (const version of ['v2', 'v1'] as const) {
    let received!: (b: Promise<Buffer>) => void
    const bytesP = new Promise<Buffer>(resolve => { received = b => { void b.then(resolve) } })
    const raw = await server(s => received(drain(s)))
    t.teardown(() => raw.close())
    const group = createUpstreamGroup(spec([raw.url], { proxyProtocol: version }), { open: tcpOpen, logger })
    const c = await group.connect(opts({ source: { address: '203.0.113.7', port: 51234 }, destination: { address: '127.0.0.1', port: 8443 } }))
    c.stream.end('hello')
    const bytes = await bytesP
    const parsed = parseProxyHeader(bytes)
    if (parsed.status !== 'done') { t.fail(`${version}: no header: ${parsed.status}`); continue }
    t.equal(parsed.header.version, version === 'v2' ? 2 : 1)
    t.same(parsed.header.source, { address: '203.0.113.7', port: 51234 }, `${version} source`)
    t.same(parsed.header.destination, { address: '127.0.0.1', port: 8443 }, `${version} destination`)
    t.equal(bytes.subarray(parsed.bytes).toString(), 'hello', `${version}: the client's bytes follow`)
    if (version === 'v1') t.equal(bytes.subarray(0, parsed.bytes).toString(), 'PROXY TCP4 203.0.113.7 127.0.0.1 51234 8443\r\n')
    c.stream.destroy()
  }
})

t.test('an empty group is refused', async t => {
  t.throws(() => createUpstreamGroup(spec([]), { open: tcpOpen, logger }), { code: 'CHAIN_ERR_UPSTREAM_EMPTY' })
})
