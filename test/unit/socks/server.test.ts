// The SOCKS server engine, CONNECT path, against real clients on loopback: curl, the `socks`
// package, our own socks:// kind, and dante behind us; half-close, resets, 16 MiB, pipelining,
// the per-client session limit.
import t from 'tap'
import net from 'node:net'
import http from 'node:http'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { SocksClient } from 'socks'
import { readAll, sha256, watchPeerGone } from '../../compliance/stream-helpers.ts'
import { DANTED_SKIP, startDanted } from '../../helpers/socks-peers.ts'
import { socksTunnel } from '../../../src/socks/tunnel.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import type { SocksRequestFacts } from '../../../src/socks/server.ts'
import { connectBytes, curl, echoTarget, rawExchange, startServer, type TestLike } from './server-fixtures.ts'

async function httpServer (t: TestLike): Promise<number> {
  const srv = http.createServer((req, res) => { res.end(`hello ${req.url ?? ''}`) })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => { srv.closeAllConnections(); srv.close() })
  return (srv.address() as net.AddressInfo).port
}

type SocksOpts = Parameters<typeof SocksClient.createConnection>[0]
const proxy = (port: number, extra: Partial<SocksOpts['proxy']> = {}): SocksOpts['proxy'] => ({ host: '127.0.0.1', port, type: 5, ...extra })

t.test('curl through the server, with and without auth', async t => {
  const web = await httpServer(t)
  const open = await startServer(t)
  const r1 = await curl(['--socks5-hostname', `127.0.0.1:${open.port}`, `http://localhost:${web}/a`])
  t.equal(r1.stdout, 'hello /a', r1.stderr)
  const users = new Map([['alice', 's3cret:x']])
  const authed = await startServer(t, { auth: { required: true, users } })
  const r2 = await curl(['-x', `socks5h://alice:s3cret%3Ax@127.0.0.1:${authed.port}`, `http://localhost:${web}/b`])
  t.equal(r2.stdout, 'hello /b', r2.stderr)
  t.equal((await authed.nextSession()).user, 'alice')
  const r3 = await curl(['-x', `socks5h://alice:wrong@127.0.0.1:${authed.port}`, `http://localhost:${web}/c`])
  t.not(r3.code, 0, 'wrong password fails')
  const r4 = await curl(['--socks5-hostname', `127.0.0.1:${authed.port}`, `http://localhost:${web}/d`])
  t.not(r4.code, 0, 'no credentials fails when auth is required')
})

t.test('socks package: CONNECT to IPv4, IPv6 and a domain; facts passed to decide', async t => {
  const target = await echoTarget(t)
  const facts: SocksRequestFacts[] = []
  const { port } = await startServer(t, {}, f => { facts.push(f); return { action: 'direct' } })
  const hosts = ['127.0.0.1', 'localhost', ...(target.v6 ? ['::1'] : [])]
  for (const host of hosts) {
    const { socket } = await SocksClient.createConnection({ proxy: proxy(port), command: 'connect', destination: { host, port: target.port } })
    socket.end(`ping ${host}`)
    t.equal((await readAll(socket)).toString(), `ping ${host}`, host)
  }
  t.same(facts.map(f => f.target.type), ['ipv4', 'domain', ...(target.v6 ? ['ipv6'] : [])])
  t.equal(facts[0].command, 'connect')
  t.equal(facts[0].source.address, '127.0.0.1')
  if (!target.v6) t.comment('::1 not available: IPv6 case skipped')
})

t.test('success reply carries the outbound socket\'s local address', async t => {
  const target = await echoTarget(t)
  const { port } = await startServer(t)
  const info = await SocksClient.createConnection({ proxy: proxy(port), command: 'connect', destination: { host: '127.0.0.1', port: target.port } })
  const upstream = await target.next()
  t.equal(info.remoteHost?.host, '127.0.0.1')
  t.equal(info.remoteHost?.port, upstream.remotePort)
  info.socket.destroy()
})

t.test('our socks:// kind through our server, and our server chaining to dante', async t => {
  const target = await echoTarget(t)
  const { port } = await startServer(t)
  const kind = socksTunnel({ logger: silentLogger() })
  const s = await kind.open(new URL(`socks://127.0.0.1:${port}/127.0.0.1:${target.port}`), { signal: AbortSignal.timeout(5000) })
  s.end('via socks://')
  t.equal((await readAll(s)).toString(), 'via socks://')

  t.test('→ dante', { skip: DANTED_SKIP }, async t => {
    const dante = await startDanted(t)
    const urls: string[] = []
    const chained = await startServer(t, {}, () => {
      const url = `socks://127.0.0.1:${dante.port}/127.0.0.1:${target.port}`
      urls.push(url)
      return { action: 'tunnel', url }
    })
    const { socket } = await SocksClient.createConnection({ proxy: proxy(chained.port), command: 'connect', destination: { host: 'example.invalid', port: 1 } })
    socket.end('through dante')
    t.equal((await readAll(socket)).toString(), 'through dante')
    t.equal(urls.length, 1)
    t.equal((await chained.nextSession()).url, urls[0])
  })
})

t.test('reply codes', async t => {
  const refusedPort = await (async () => { const { closedPort } = await import('../../helpers/free-port.ts'); return await closedPort() })()
  const target = await echoTarget(t)
  const { port } = await startServer(t, {}, f => {
    if (f.target.port === 1111) return { action: 'reject' }
    if (f.target.port === 2222) return { action: 'reject', reply: 4 }
    if (f.target.port === 3333) throw new Error('decide broke')
    return { action: 'direct' }
  })
  const reply = async (bytes: Buffer): Promise<number[]> => [...(await rawExchange(port, bytes)).data]
  t.same((await reply(connectBytes('127.0.0.1', refusedPort))).slice(2, 4), [5, 0x05], 'refused → 0x05')
  t.same((await reply(connectBytes('127.0.0.1', 1111))).slice(2, 4), [5, 0x02], 'reject → 0x02')
  t.same((await reply(connectBytes('127.0.0.1', 2222))).slice(2, 4), [5, 0x04], 'reject with its own code')
  t.same((await reply(connectBytes('127.0.0.1', 3333))).slice(2, 4), [5, 0x01], 'decide() throwing → 0x01')
  t.same((await reply(connectBytes('127.0.0.1', target.port, 2))).slice(2, 4), [5, 0x07], 'BIND → 0x07')
  t.same((await reply(connectBytes('127.0.0.1', target.port, 9))).slice(2, 4), [5, 0x07], 'unknown command → 0x07')
  const badAtyp = Buffer.from([5, 1, 0, 5, 1, 0, 7, 1, 2, 3, 4, 0, 80])
  t.same((await reply(badAtyp)).slice(2, 4), [5, 0x08], 'address type 7 → 0x08')
  const r = await reply(connectBytes('127.0.0.1', refusedPort))
  t.equal(r.length, 2 + 10, 'method selection + a whole reply with 0.0.0.0:0')
  // BIND through the socks package: it sees the 0x07 too.
  await t.rejects(SocksClient.createConnection({ proxy: proxy(port), command: 'bind', destination: { host: '0.0.0.0', port: 0 } }))
})

t.test('handshake bounds and method negotiation', async t => {
  const { port } = await startServer(t, { handshakeTimeoutMs: 200, auth: { required: true, users: new Map([['u', 'p']]) } })
  const silent = net.connect({ host: '127.0.0.1', port })
  silent.on('error', () => {})
  const closed = once(silent, 'close')
  const start = performance.now()
  await closed
  t.ok(performance.now() - start < 5000, 'a silent client is dropped by the handshake timeout')
  t.same([...(await rawExchange(port, Buffer.from([5, 1, 0]))).data], [5, 0xff], 'no-auth only offered → 0xFF')
  t.same([...(await rawExchange(port, Buffer.from([5, 2, 0, 2, 1, 1, 0x75, 1, 0x78]))).data], [5, 2, 1, 1], 'wrong password → status 1, close')
  t.same([...(await rawExchange(port, Buffer.from([4, 1, 0]))).data], [], 'bad version: closed without a reply')
  const open = await startServer(t)
  t.same([...(await rawExchange(open.port, Buffer.from([5, 1, 2]))).data], [5, 0xff], 'only user/pass offered, no users → 0xFF')
  // Not required, but a client that offers credentials while users exist gets them checked.
  const optional = await startServer(t, { auth: { required: false, users: new Map([['u', 'p']]) } })
  t.same([...(await rawExchange(optional.port, Buffer.from([5, 2, 0, 2, 1, 1, 0x75, 1, 0x78]))).data], [5, 2, 1, 1])
  t.same([...(await rawExchange(optional.port, Buffer.from([5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, 0, 0]))).data].slice(0, 4), [5, 0, 5, 1],
    'no-auth still accepted (then CONNECT to port 0 is malformed → 0x01)')
})

t.test('half-close both ways, pipelined bytes, a target reset reaches the client', async t => {
  const target = await echoTarget(t, () => {})
  const { port } = await startServer(t)
  // Pipelined: greeting, request and payload in one write.
  const c = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  c.write(Buffer.concat([connectBytes('127.0.0.1', target.port), Buffer.from('early')]))
  const up = await target.next()
  const upData = readAll(up)
  // client → target direction ends; target → client still flows
  c.end()
  t.equal((await upData).toString(), 'early', 'pipelined bytes reached the target, then its FIN')
  const got = readAll(c)
  up.end('late answer')
  const all = await got
  t.equal(all.subarray(12).toString(), 'late answer', 'after the client half-closed, the target still answers')

  // target half-closes first
  const c2 = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true })
  c2.write(connectBytes('127.0.0.1', target.port))
  const up2 = await target.next()
  const c2Data = readAll(c2)
  up2.end()
  await c2Data
  const up2Data = readAll(up2)
  c2.end('after target FIN')
  t.equal((await up2Data).toString(), 'after target FIN')

  // reset
  const c3 = net.connect({ host: '127.0.0.1', port })
  c3.write(connectBytes('127.0.0.1', target.port))
  const up3 = await target.next()
  let seen = 0
  await new Promise<void>(resolve => c3.on('data', function onData (d: Buffer) {
    seen += d.length
    if (seen >= 12) { c3.off('data', onData); resolve() }
  }))
  c3.pause()
  up3.resetAndDestroy()
  const noticed = await watchPeerGone(c3)
  t.equal(noticed.error?.code, 'ECONNRESET', 'the target\'s reset reaches the client as a reset')
})

t.test('16 MiB each way with SHA-256', async t => {
  const target = await echoTarget(t)
  const { port, sessions, nextSession } = await startServer(t)
  const { socket } = await SocksClient.createConnection({ proxy: proxy(port), command: 'connect', destination: { host: '127.0.0.1', port: target.port } })
  const data = randomBytes(16 * 1024 * 1024)
  const back = readAll(socket)
  socket.end(data)
  t.equal(sha256(await back), sha256(data))
  await nextSession()
  t.equal(sessions[0].bytesIn, data.length)
  t.equal(sessions[0].bytesOut, data.length)
})

t.test('maxSessionsPerClient', async t => {
  const target = await echoTarget(t)
  const { port, engine } = await startServer(t, { maxSessionsPerClient: 2 })
  const open = async (): Promise<net.Socket> => (await SocksClient.createConnection({ proxy: proxy(port), command: 'connect', destination: { host: '127.0.0.1', port: target.port } })).socket
  const a = await open()
  const b = await open()
  t.equal(engine.active, 2)
  t.same([...(await rawExchange(port, connectBytes('127.0.0.1', target.port))).data], [5, 0xff], 'third session refused at the greeting')
  a.destroy()
  await once(a, 'close')
  // the slot frees once the server sees the close; retry until it has
  let c: net.Socket | undefined
  for (let i = 0; i < 100 && c == null; i++) {
    c = await open().catch(async () => { await new Promise(resolve => setTimeout(resolve, 10)); return undefined })
  }
  t.ok(c, 'a slot frees when a session ends')
  b.destroy(); c?.destroy()
})

t.test('close() ends open sessions', async t => {
  const target = await echoTarget(t)
  const { port, engine } = await startServer(t)
  const { socket } = await SocksClient.createConnection({ proxy: proxy(port), command: 'connect', destination: { host: '127.0.0.1', port: target.port } })
  socket.on('error', () => {})
  t.equal(engine.active, 1)
  const closed = once(socket, 'close')
  engine.close()
  await closed
  t.equal(engine.active, 0)
})
