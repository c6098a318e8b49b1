// socks:// against real, independent SOCKS5 servers on loopback (microsocks, dante): IPv4, domain
// and IPv6 targets, a 16 MiB transfer, half-close, a target's reset, auth, refused targets; and,
// against in-process fakes, the bounds: abort during the handshake and proxies that never answer.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { socksTunnel, parseSocksUrl } from '../../../src/socks/tunnel.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import type { OpenOptions, Tunnel, TunnelStream } from '../../../src/tunnel/types.ts'
import { readAll, sha256, watchPeerGone, quietHandleCount, settleHandles } from '../../compliance/stream-helpers.ts'
import { blackholePort } from '../../helpers/blackhole.ts'
import { closedPort } from '../../helpers/free-port.ts'
import { DANTED_SKIP, MICROSOCKS_SKIP, startDanted, startMicrosocks } from '../../helpers/socks-peers.ts'
import type { SocksPeer } from '../../helpers/socks-peers.ts'
import { echoTarget } from '../../helpers/socks-target.ts'

type TestLike = { teardown(fn: () => unknown): void }
const deps = { logger: silentLogger() }
const signal = (): AbortSignal => AbortSignal.timeout(10_000)

/** The tunnel, with every stream it opens destroyed at teardown (half-open ones stay open otherwise). */
function wrapOpen (t: TestLike, tunnel: Tunnel): Tunnel {
  const open = tunnel.open.bind(tunnel)
  return Object.assign(tunnel, {
    async open (u: URL, o: OpenOptions): Promise<TunnelStream> {
      const s = await open(u, o)
      s.on('error', () => {}) // the test asserts what it expects; a late reset must not crash the file
      t.teardown(() => s.destroy())
      return s
    }
  })
}

interface PeerCase {
  name: string
  skip: string | false
  start: (t: TestLike & { testdir(): string }) => Promise<SocksPeer>
  proxyHosts: string[] // authorities the proxy answers on
  halfClose: boolean // relays a FIN without closing the other direction
}

const peers: PeerCase[] = [
  // microsocks' copy loop closes both sockets when either side reads EOF: no half-close.
  { name: 'microsocks', skip: MICROSOCKS_SKIP, start: async t => await startMicrosocks(t), proxyHosts: ['127.0.0.1'], halfClose: false },
  { name: 'dante', skip: DANTED_SKIP, start: async t => await startDanted(t), proxyHosts: ['127.0.0.1', '[::1]'], halfClose: true }
]

for (const peer of peers) {
  t.test(`through ${peer.name}`, { skip: peer.skip, timeout: 60_000 }, async t => {
    const proxy = await peer.start(t)
    const tunnel = wrapOpen(t, socksTunnel(deps, { connectTimeoutMs: 5000 }))
    const echo = await echoTarget(t)
    const url = (dest: string, proxyHost = '127.0.0.1'): URL => new URL(`socks://${proxyHost}:${proxy.port}/${dest}`)

    const roundTrip = async (u: URL, text: string): Promise<string> => {
      const s = await tunnel.open(u, { signal: signal() })
      const back = readAll(s)
      s.write(text)
      // microsocks closes both ways on our FIN, so wait for the echo before ending.
      await once(s, 'readable')
      s.end()
      return (await back).toString()
    }

    t.test('CONNECT by IPv4', async t => {
      for (const host of peer.proxyHosts) {
        t.equal(await roundTrip(url(`127.0.0.1:${echo.port}`, host), 'hello v4'), 'hello v4', `proxy at ${host}`)
      }
    })

    t.test('CONNECT by domain (resolved by the proxy)', async t => {
      t.equal(await roundTrip(url(`localhost:${echo.port}`), 'hello name'), 'hello name')
    })

    t.test('CONNECT by IPv6', { skip: echo.v6 ? false : '::1 is not configured' }, async t => {
      const fresh = await echoTarget(t)
      const s = await tunnel.open(url(`[::1]:${fresh.port}`), { signal: signal() })
      const back = readAll(s)
      s.write('hello v6')
      const far = await fresh.next()
      t.equal(far.remoteAddress, '::1', 'the proxy reached the target over IPv6')
      await once(s, 'readable')
      s.end()
      t.equal((await back).toString(), 'hello v6')
    })

    // One direction at a time: microsocks relays each connection with blocking writes, so a
    // full-duplex echo of megabytes deadlocks it (it is stuck writing to the target while the
    // target is stuck writing back to it).
    t.test('16 MiB each way, SHA-256 intact', { timeout: 30_000 }, async t => {
      const sink = await echoTarget(t, () => {})
      const s = await tunnel.open(url(`127.0.0.1:${sink.port}`), { signal: signal() })
      const far = await sink.next()
      const up = randomBytes(16 * 1024 * 1024)
      const down = randomBytes(16 * 1024 * 1024)
      const receive = (from: net.Socket, size: number): Promise<Buffer[]> => new Promise((resolve, reject) => {
        const got: Buffer[] = []
        let n = 0
        const onData = (c: Buffer): void => {
          got.push(c); n += c.length
          if (n >= size) { from.off('data', onData); resolve(got) }
        }
        from.on('data', onData)
        from.once('error', reject)
        from.once('end', () => { reject(new Error(`ended after ${n} of ${size} bytes`)) })
      })
      const upGot = receive(far, up.length)
      s.write(up)
      t.equal(sha256(...await upGot), sha256(up), 'client to target')
      const downGot = receive(s as unknown as net.Socket, down.length)
      far.write(down)
      t.equal(sha256(...await downGot), sha256(down), 'target to client')
      s.destroy()
    })

    t.test('half-close: client ends first, then the target', async t => {
      const quiet = await echoTarget(t, () => {})
      const s = await tunnel.open(url(`127.0.0.1:${quiet.port}`), { signal: signal() })
      const far = await quiet.next()
      const clientEnd = once(s, 'end').catch((err: unknown) => err) // awaited only for microsocks
      s.end()
      const farEnd = once(far, 'end')
      await farEnd
      t.pass('the target saw our end')
      if (peer.halfClose) {
        far.end('after your end')
        const back = await readAll(s)
        t.equal(back.toString(), 'after your end', 'the target could still answer')
      } else {
        await clientEnd
        t.pass(`${peer.name} closes both directions on the first FIN`)
      }
    })

    t.test('half-close: target ends first, client still sends', async t => {
      const quiet = await echoTarget(t, () => {})
      const s = await tunnel.open(url(`127.0.0.1:${quiet.port}`), { signal: signal() })
      const far = await quiet.next()
      // Collect from now on: with microsocks the target may be closed before we look again.
      const farGot = readAll(far).catch((err: Error) => err)
      const clientSawEnd = once(s, 'end')
      s.resume()
      far.end()
      await clientSawEnd
      t.pass('client saw the target\'s end')
      s.end('still talking')
      const got = await farGot
      if (peer.halfClose) {
        t.equal(String(got), 'still talking', 'the target got our bytes after its end')
      } else {
        t.ok(got instanceof Error || got.length === 0, `${peer.name} closes both directions on the first FIN: our bytes are dropped`)
      }
    })

    t.test('the target resetting the connection reaches the client', async t => {
      const quiet = await echoTarget(t, () => {})
      const s = await tunnel.open(url(`127.0.0.1:${quiet.port}`), { signal: signal() })
      const far = await quiet.next()
      far.resetAndDestroy()
      const seen = await watchPeerGone(s)
      t.ok(seen.closed, 'the client stream closed')
      // A SOCKS proxy can only pass a reset on by resetting our connection; which it does decides
      // between ECONNRESET/EPIPE and a plain end.
      t.ok(seen.error != null ? ['ECONNRESET', 'EPIPE'].includes(String(seen.error.code)) : seen.sawEnd,
        `${peer.name}: ${seen.error != null ? String(seen.error.code) : 'end without error'}`)
    })

    t.test('a refused target', async t => {
      const port = await closedPort()
      const err = await tunnel.open(url(`127.0.0.1:${port}`), { signal: signal() }).catch((e: unknown) => e) as Error & { code: string, cause?: Error }
      t.equal(err.code, 'TUN_ERR_CONNECT_REFUSED')
      t.match(err.cause?.message, /reply 0x05/, 'the proxy replied 0x05 connection refused')
    })
  })
}

t.test('microsocks with username/password', { skip: MICROSOCKS_SKIP, timeout: 30_000 }, async t => {
  const proxy = await startMicrosocks(t, { username: 'zone user', password: 'p@ss:wörd' })
  const echo = await echoTarget(t)
  const tunnel = wrapOpen(t, socksTunnel(deps, { connectTimeoutMs: 5000 }))
  const good = new URL(`socks://${encodeURIComponent('zone user')}:${encodeURIComponent('p@ss:wörd')}@127.0.0.1:${proxy.port}/127.0.0.1:${echo.port}`)
  const s = await tunnel.open(good, { signal: signal() })
  s.write('authed')
  await once(s, 'readable')
  t.equal(String(s.read()), 'authed', 'right credentials work')
  s.destroy()

  const wrong = new URL(`socks://zone%20user:nope@127.0.0.1:${proxy.port}/127.0.0.1:${echo.port}`)
  await t.rejects(tunnel.open(wrong, { signal: signal() }), { code: 'SOCKS_ERR_AUTH_FAILED' }, 'wrong password')
  const none = new URL(`socks://127.0.0.1:${proxy.port}/127.0.0.1:${echo.port}`)
  await t.rejects(tunnel.open(none, { signal: signal() }), { code: 'SOCKS_ERR_NO_ACCEPTABLE_METHOD' }, 'no credentials')
})

/** A proxy that accepts and never answers; resolves each accepted socket. */
async function silentProxy (t: TestLike): Promise<{ port: number, accepted: Promise<net.Socket> }> {
  let resolve!: (s: net.Socket) => void
  const accepted = new Promise<net.Socket>(r => { resolve = r })
  const srv = net.createServer(s => { s.on('error', () => {}); s.resume(); resolve(s) })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => srv.close())
  return { port: (srv.address() as net.AddressInfo).port, accepted }
}

t.test('abort during the handshake gives TUN_ERR_ABORTED and closes the proxy connection', async t => {
  const proxy = await silentProxy(t)
  const ac = new AbortController()
  const opening = socksTunnel(deps).open(new URL(`socks://127.0.0.1:${proxy.port}/127.0.0.1:9`), { signal: ac.signal })
  const far = await proxy.accepted
  ac.abort()
  await t.rejects(opening, { code: 'TUN_ERR_ABORTED' })
  await once(far, 'close')
  t.pass('the proxy saw the connection go')
  await t.rejects(socksTunnel(deps).open(new URL(`socks://127.0.0.1:${proxy.port}/127.0.0.1:9`), { signal: AbortSignal.abort() }),
    { code: 'TUN_ERR_ABORTED' }, 'already aborted')
})

t.test('a proxy that never answers: TUN_ERR_CONNECT_TIMEOUT within the bound', { timeout: 20_000 }, async t => {
  const silent = await silentProxy(t)
  let started = performance.now()
  await t.rejects(socksTunnel(deps, { connectTimeoutMs: 300 }).open(new URL(`socks://127.0.0.1:${silent.port}/127.0.0.1:9`), { signal: signal() }),
    { code: 'TUN_ERR_CONNECT_TIMEOUT' }, 'accepted but silent')
  t.ok(performance.now() - started < 3000, 'gave up after about the timeout')

  const port = await blackholePort(t)
  const baseline = await quietHandleCount()
  started = performance.now()
  await t.rejects(socksTunnel(deps, { connectTimeoutMs: 300 }).open(new URL(`socks://127.0.0.1:${port}/127.0.0.1:9`), { signal: signal() }),
    { code: 'TUN_ERR_CONNECT_TIMEOUT' }, 'connect never completes')
  t.ok(performance.now() - started < 3000, 'gave up after about the timeout')
  t.ok((await settleHandles(baseline)).length <= baseline, 'no socket left behind')
})

t.test('URL forms and listen()', async t => {
  const p = parseSocksUrl(new URL('socks://u%3Ax:p%40ss@[::1]:1080/[2001:db8::1]:443'))
  t.same(p, { proxy: { host: '::1', port: 1080 }, target: { type: 'ipv6', host: '2001:db8::1', port: 443 }, credentials: { username: 'u:x', password: 'p@ss' } })
  t.same(parseSocksUrl(new URL('socks://127.0.0.1:1080/example.com:80')).target, { type: 'domain', host: 'example.com', port: 80 })
  t.equal(parseSocksUrl(new URL('socks://127.0.0.1:1080/10.0.0.1:22')).credentials, undefined)
  for (const bad of ['socks://127.0.0.1/x.org:80', 'socks://127.0.0.1:1080', 'socks://127.0.0.1:1080/:80', 'socks://127.0.0.1:1080/name']) {
    t.throws(() => parseSocksUrl(new URL(bad)), { code: 'TUN_ERR_INVALID_URL' }, bad)
  }
  await t.rejects(socksTunnel(deps).open(new URL('socks://127.0.0.1:1080'), { signal: signal() }), { code: 'TUN_ERR_INVALID_URL' })
  await t.rejects(socksTunnel(deps).listen(new URL('socks://127.0.0.1:1080/x:1')), { code: 'TUN_ERR_NOT_SUPPORTED' })
  t.equal(socksTunnel(deps).scheme, 'socks')
})
