// The HTTP/1 engine end to end over loopback: node:http upstreams and clients, raw sockets for
// the byte-level cases.
import t from 'tap'
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { proxySpec, rawExchange, countHeads, route, startEngine } from './helpers.ts'

interface Upstream { url: string, connections: number, server: http.Server }

/** node:http upstream echoing method, url and headers as JSON (and the body's length). */
async function echoUpstream (t: Tap.Test, handler?: http.RequestListener): Promise<Upstream> {
  const server = http.createServer(handler ?? ((req, res) => {
    let n = 0
    req.on('data', (d: Buffer) => { n += d.length })
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, bodyLength: n }))
    })
  }))
  const up: Upstream = { url: '', connections: 0, server }
  server.on('connection', () => { up.connections++ })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  up.url = `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return up
}

declare namespace Tap { type Test = { teardown: (fn: () => void | Promise<void>) => void } }

function request (port: number, options: http.RequestOptions & { body?: Buffer | Readable } = {}): Promise<{ res: http.IncomingMessage, body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, ...options }, res => {
      const parts: Buffer[] = []
      res.on('data', d => parts.push(d))
      res.on('end', () => resolve({ res, body: Buffer.concat(parts) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    const body = options.body
    if (body instanceof Readable) body.pipe(req)
    else req.end(body)
  })
}

t.test('keep-alive: many requests on one client connection reuse one upstream connection', async t => {
  const up = await echoUpstream(t)
  const rig = await startEngine(t, { routes: { '*': route('api', { kind: 'http_proxy', proxy: proxySpec(up.url) }) } })
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  for (let i = 0; i < 30; i++) {
    const { res, body } = await request(rig.port, { agent, path: `/n/${i}`, headers: { host: 'a.example' } })
    t.equal(res.statusCode, 200)
    t.equal(JSON.parse(body.toString()).url, `/n/${i}`)
  }
  t.equal(up.connections, 1, 'one upstream connection')
  t.equal(rig.clientConnections(), 1, 'one client connection')
  const stats = rig.connectors.get(up.url)?.stats
  t.equal(stats?.opened, 1)
  t.equal(stats?.reused, 29)
  t.ok(stats?.reports.every(r => r.ok && typeof r.firstByteMs === 'number'))
  t.equal(rig.logs.length, 30)
  t.match(rig.logs[0], { route: 'api', upstream: up.url, method: 'GET', host: 'a.example', path: '/n/0', status: 200 })
})

t.test('a 20 MiB chunked request and a 20 MiB chunked response stream with bounded memory', async t => {
  const SIZE = 20 * 1024 * 1024
  const up = await echoUpstream(t, (req, res) => {
    const hash = createHash('sha256')
    let n = 0
    req.on('data', (d: Buffer) => { hash.update(d); n += d.length })
    req.on('end', () => {
      res.setHeader('x-in', `${n}:${hash.digest('hex')}`)
      // Chunked response (no content-length), produced on demand.
      let sent = 0
      const block = Buffer.alloc(64 * 1024, 7)
      const src = new Readable({ read () { if (sent >= SIZE) this.push(null); else { sent += block.length; this.push(block) } } })
      src.pipe(res)
    })
  })
  const rig = await startEngine(t, { routes: { '*': route('big', { kind: 'http_proxy', proxy: proxySpec(up.url) }) } })
  const block = Buffer.alloc(64 * 1024, 1)
  const expected = createHash('sha256')
  let produced = 0
  const body = new Readable({
    read () {
      if (produced >= SIZE) { this.push(null); return }
      produced += block.length; expected.update(block); this.push(block)
    }
  })
  // What the engine holds: its readers' queues plus the bytes waiting in its sockets' write buffers.
  let peak = 0
  const sampler = setInterval(() => { peak = Math.max(peak, rig.heldBytes()) }, 2)
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: rig.port, method: 'POST', path: '/up', headers: { 'transfer-encoding': 'chunked' } }, resolve)
    req.on('error', reject)
    body.pipe(req)
  })
  t.equal(res.headers['transfer-encoding'], 'chunked')
  t.equal(res.headers['x-in'], `${SIZE}:${expected.digest('hex')}`)
  let got = 0
  // A slow-ish reader: pause now and then so backpressure must reach the upstream.
  await pipeline(res, async function * (src) {
    for await (const c of src) {
      got += (c as Buffer).length
      if (got % (4 * 1024 * 1024) < 65536) await new Promise(resolve => setImmediate(resolve))
    }
  })
  clearInterval(sampler)
  t.equal(got, SIZE)
  t.ok(peak > 0 && peak < 2 * 1024 * 1024, `engine buffering stayed bounded (peak ${(peak / 1024).toFixed(0)} KiB)`)
})

t.test('HEAD, 204 and 304 have no body and keep the connection usable', async t => {
  const up = await echoUpstream(t, (req, res) => {
    if (req.url === '/204') { res.statusCode = 204; res.end(); return }
    if (req.url === '/304') { res.statusCode = 304; res.setHeader('etag', '"x"'); res.end(); return }
    res.setHeader('content-length', '100')
    res.end(req.method === 'HEAD' ? undefined : Buffer.alloc(100, 97))
  })
  const rig = await startEngine(t, { routes: { '*': route('r', { kind: 'http_proxy', proxy: proxySpec(up.url) }) } })
  const wire = 'HEAD /h HTTP/1.1\r\nHost: a\r\n\r\nGET /204 HTTP/1.1\r\nHost: a\r\n\r\nGET /304 HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
  const got = await rawExchange(rig.port, wire)
  t.equal(countHeads(got), 4)
  const parts = got.split(/(?=HTTP\/1\.1 )/)
  t.match(parts[0], /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 100\r\n[^]*\r\n\r\n$/i, 'HEAD: length kept, no body')
  t.match(parts[1], /^HTTP\/1\.1 204 No Content\r\n[^]*\r\n\r\n$/)
  t.match(parts[2], /^HTTP\/1\.1 304 Not Modified\r\n[^]*\r\n\r\n$/)
  t.match(parts[3], /^HTTP\/1\.1 200 OK\r\n[^]*connection: close\r\n/i)
  t.match(parts[3], /\r\n\r\na{100}$/)
  t.equal(up.connections, 1)
})

t.test('100-continue is relayed and the body follows', async t => {
  const up = await echoUpstream(t)
  const rig = await startEngine(t, { routes: { '*': route('r', { kind: 'http_proxy', proxy: proxySpec(up.url) }) } })
  const { res, body } = await new Promise<{ res: http.IncomingMessage, body: Buffer }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: rig.port, method: 'PUT', path: '/c', headers: { expect: '100-continue', 'content-length': '5' } }, res => {
      const parts: Buffer[] = []
      res.on('data', d => parts.push(d))
      res.on('end', () => resolve({ res, body: Buffer.concat(parts) }))
    })
    req.on('error', reject)
    req.on('continue', () => req.end('hello'))
  })
  t.equal(res.statusCode, 200)
  t.equal(JSON.parse(body.toString()).bodyLength, 5)
})

t.test('pipelined requests are answered in order, none lost', async t => {
  const up = await echoUpstream(t)
  const rig = await startEngine(t, { routes: { '*': route('r', { kind: 'http_proxy', proxy: proxySpec(up.url) }) } })
  const wire = 'POST /1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc' +
    'POST /2 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n' +
    'GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
  const got = await rawExchange(rig.port, wire)
  t.equal(countHeads(got), 3)
  const bodies = [...got.matchAll(/\{[^]*?"bodyLength":\d+\}/g)].map(m => JSON.parse(m[0]) as { url: string, bodyLength: number })
  t.same(bodies.map(b => [b.url, b.bodyLength]), [['/1', 3], ['/2', 2], ['/3', 0]])
})

t.test('path rewrite, header set/remove, X-Forwarded-*, hop-by-hop removal', async t => {
  const up = await echoUpstream(t)
  const spec = proxySpec(up.url, {
    rewrite: { stripPrefix: '/api', addPrefix: '/v2', regex: '/old/', replace: '/new/' },
    setRequestHeaders: { 'x-route': 'api', 'x-orig': '{method} {host}{path}' },
    removeRequestHeaders: ['x-secret'],
    preserveHost: false
  })
  const rig = await startEngine(t, { routes: { '*': route('r', { kind: 'http_proxy', proxy: spec }) } })
  const { body } = await request(rig.port, {
    path: '/api/old/x?q=1',
    headers: { host: 'Site.Example:8080', 'x-secret': 's', 'x-keep': 'k', connection: 'keep-alive, x-hop', 'x-hop': 'h', 'keep-alive': 'timeout=5', te: 'trailers', 'proxy-connection': 'x', 'x-forwarded-for': '10.0.0.1' }
  })
  const echo = JSON.parse(body.toString()) as { url: string, headers: Record<string, string> }
  t.equal(echo.url, '/v2/new/x?q=1')
  t.equal(echo.headers['x-route'], 'api')
  t.equal(echo.headers['x-orig'], 'GET site.example/api/old/x')
  t.equal(echo.headers['x-keep'], 'k')
  t.equal(echo.headers.host, up.url.slice('tcp://'.length), 'preserveHost false: upstream host')
  t.equal(echo.headers['x-forwarded-for'], '10.0.0.1, 127.0.0.1')
  t.equal(echo.headers['x-forwarded-proto'], 'http')
  t.equal(echo.headers['x-forwarded-host'], 'Site.Example:8080')
  for (const h of ['x-secret', 'x-hop', 'keep-alive', 'te', 'proxy-connection', 'upgrade']) t.notOk(h in echo.headers, `${h} removed`)
})

t.test('X-Forwarded-Proto is https on a terminated connection; Host kept by default', async t => {
  const up = await echoUpstream(t)
  const { serveHttp } = await import('../../../../../src/chain/http/proxy/engine.ts')
  const { tcpConnector } = await import('./helpers.ts')
  const { silentLogger } = await import('../../../../../src/core/logger.ts')
  const r = route('r', { kind: 'forward', group: proxySpec(up.url) })
  const connector = tcpConnector(up.url)
  const srv = net.createServer(s => {
    void serveHttp(s, { stack: 's', localPort: 0, source: { address: '192.0.2.7', port: 1 }, terminated: { sni: 'x' } }, {
      route: () => r, upstream: () => connector, local: async () => ({ status: 500, headers: [] }), filterResponse: () => {}, onRequestDone: () => {}, logger: silentLogger()
    })
  })
  srv.listen(0, '127.0.0.1'); await once(srv, 'listening')
  t.teardown(() => { srv.close() })
  const { body } = await request((srv.address() as net.AddressInfo).port, { path: '/p', headers: { host: 'h.example', connection: 'close' } })
  const echo = JSON.parse(body.toString()) as { headers: Record<string, string> }
  t.equal(echo.headers['x-forwarded-proto'], 'https')
  t.equal(echo.headers['x-forwarded-for'], '192.0.2.7')
  t.equal(echo.headers.host, 'h.example')
})

t.test('websocket upgrade: raw 101 handshake, then opaque bytes both ways', async t => {
  // Raw upstream: answer the handshake with 101 (plus a first frame in the same write), then echo.
  const upSrv = net.createServer(s => {
    let buf = ''
    const onData = (d: Buffer): void => {
      buf += d.toString('latin1')
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      s.off('data', onData)
      const head = buf.slice(0, end)
      const ok = /\r\nupgrade: websocket/i.test(head) && /\r\nconnection: upgrade/i.test(head)
      s.write(Buffer.from(ok ? 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n\x81\x02hi' : 'HTTP/1.1 400 Bad\r\ncontent-length: 0\r\n\r\n', 'latin1'))
      const rest = buf.slice(end + 4)
      if (rest.length > 0) s.write(Buffer.from(rest, 'latin1'))
      s.pipe(s)
    }
    s.on('data', onData)
  })
  upSrv.listen(0, '127.0.0.1'); await once(upSrv, 'listening')
  t.teardown(() => { upSrv.close() })
  const url = `tcp://127.0.0.1:${(upSrv.address() as net.AddressInfo).port}`
  const rig = await startEngine(t, { routes: { '*': route('ws', { kind: 'http_proxy', proxy: proxySpec(url) }) } })
  const c = net.connect(rig.port, '127.0.0.1')
  await once(c, 'connect')
  c.write(Buffer.from('GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\x81\x03one', 'latin1'))
  let got = Buffer.alloc(0)
  const want = async (pred: (s: string) => boolean): Promise<string> => {
    while (!pred(got.toString('latin1'))) {
      const [d] = await once(c, 'data') as [Buffer]
      got = Buffer.concat([got, d])
    }
    return got.toString('latin1')
  }
  const s1 = await want(s => s.includes('\x81\x03one'))
  t.match(s1, /^HTTP\/1\.1 101 Switching Protocols\r\n/)
  t.match(s1, /\r\nupgrade: websocket\r\n/i)
  t.ok(s1.includes('\r\n\r\n\x81\x02hi'), 'bytes after the 101 head arrive')
  c.write(Buffer.from([0x82, 0x03, 0, 255, 10]))
  const s2 = await want(s => s.endsWith('\x82\x03\x00\xff\x0a'))
  t.ok(s2.length > 0)
  c.end()
  await Promise.race([once(c, 'close'), once(c, 'end')])
  t.pass('closed')
})

t.test('upstream refused → 502 with an error id', async t => {
  const probe = net.createServer(); probe.listen(0, '127.0.0.1'); await once(probe, 'listening')
  const port = (probe.address() as net.AddressInfo).port
  probe.close(); await once(probe, 'close')
  const rig = await startEngine(t, { routes: { '*': route('dead', { kind: 'http_proxy', proxy: proxySpec(`tcp://127.0.0.1:${port}`) }) } })
  const { res, body } = await request(rig.port, { path: '/' })
  t.equal(res.statusCode, 502)
  t.equal(res.headers['x-zonegate-error'], 'CHAIN_ERR_HTTP_UPSTREAM_UNREACHABLE')
  t.match(body.toString(), /CHAIN_ERR_HTTP_UPSTREAM_UNREACHABLE/)
  t.match(rig.logs[0], { status: 502, error: 'CHAIN_ERR_HTTP_UPSTREAM_UNREACHABLE' })
})

t.test('upstream silent → 504', async t => {
  const silent = net.createServer(s => { s.on('data', () => {}) })
  silent.listen(0, '127.0.0.1'); await once(silent, 'listening')
  t.teardown(() => { silent.close() })
  const url = `tcp://127.0.0.1:${(silent.address() as net.AddressInfo).port}`
  const rig = await startEngine(t, { routes: { '*': route('slow', { kind: 'http_proxy', proxy: proxySpec(url, { responseTimeoutMs: 150 }) }) } })
  const { res } = await request(rig.port, { path: '/' })
  t.equal(res.statusCode, 504)
  t.equal(res.headers['x-zonegate-error'], 'CHAIN_ERR_HTTP_UPSTREAM_TIMEOUT')
  t.same(rig.connectors.get(url)?.stats.reports, [{ ok: false }])
})

t.test('upstream dies mid-body → the client connection is destroyed', async t => {
  const bad = net.createServer(s => {
    s.once('data', () => { s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'); setImmediate(() => s.destroy()) })
  })
  bad.listen(0, '127.0.0.1'); await once(bad, 'listening')
  t.teardown(() => { bad.close() })
  const url = `tcp://127.0.0.1:${(bad.address() as net.AddressInfo).port}`
  const rig = await startEngine(t, { routes: { '*': route('bad', { kind: 'http_proxy', proxy: proxySpec(url) }) } })
  const got = await rawExchange(rig.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')
  t.match(got, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\npartial$/)
  t.match(rig.logs[0], { status: 200 })
  t.ok(rig.logs[0].error !== undefined)
})

t.test('a stale pooled upstream stream is retried once on a fresh one (idempotent request)', async t => {
  // Answers keep-alive style, then closes the connection shortly after each response.
  let conns = 0
  const flaky = net.createServer(s => {
    conns++
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
      s.end()
    })
  })
  flaky.listen(0, '127.0.0.1'); await once(flaky, 'listening')
  t.teardown(() => { flaky.close() })
  const url = `tcp://127.0.0.1:${(flaky.address() as net.AddressInfo).port}`
  const rig = await startEngine(t, { routes: { '*': route('f', { kind: 'http_proxy', proxy: proxySpec(url) }) } })
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  for (let i = 0; i < 3; i++) {
    const { res, body } = await request(rig.port, { agent, path: '/' })
    t.equal(res.statusCode, 200)
    t.equal(body.toString(), 'ok')
  }
  t.equal(conns, 3, 'each request got a working upstream connection')
})

t.test('bad heads → 400/431/505 with connection: close', async t => {
  const rig = await startEngine(t, { routes: {}, limits: { maxHeadBytes: 1024 } })
  const bad = await rawExchange(rig.port, 'GET / HTTP/1.1\r\nBad Header\r\n\r\n')
  t.match(bad, /^HTTP\/1\.1 400 Bad Request\r\n/)
  t.match(bad, /\r\nx-zonegate-error: CHAIN_ERR_HTTP_BAD_HEAD\r\n/i)
  t.match(bad, /\r\nconnection: close\r\n/i)
  const big = await rawExchange(rig.port, `GET / HTTP/1.1\r\nX: ${'a'.repeat(2000)}\r\n\r\n`)
  t.match(big, /^HTTP\/1\.1 431 /)
  const ver = await rawExchange(rig.port, 'GET / HTTP/2.0\r\nHost: a\r\n\r\n')
  t.match(ver, /^HTTP\/1\.1 (505|400) /)
  const smuggle = await rawExchange(rig.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n')
  t.match(smuggle, /^HTTP\/1\.1 400 [^]*CHAIN_ERR_HTTP_BAD_FRAMING/)
})

t.test('no route → 404; local respond; reject; drop; tls_terminate → 421; filters applied', async t => {
  const addHeader = (h: { headers: Array<[string, string]> }): void => { h.headers.push(['x-filtered', '1']) }
  const rig = await startEngine(t, {
    routes: {
      hello: route('hello', { kind: 'respond', status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' }, [addHeader]),
      no: route('no', { kind: 'reject', status: 403 }),
      drop: route('drop', { kind: 'drop' }),
      tls: route('tls', { kind: 'tls_terminate', certs: [], then: 'x', alpn: [], handshakeTimeoutMs: 1000 })
    }
  })
  const wire = 'GET / HTTP/1.1\r\nHost: hello\r\n\r\nHEAD / HTTP/1.1\r\nHost: hello\r\n\r\nPOST / HTTP/1.1\r\nHost: no\r\nContent-Length: 4\r\n\r\nbody' +
    'GET / HTTP/1.1\r\nHost: nowhere\r\n\r\nGET / HTTP/1.1\r\nHost: tls\r\nConnection: close\r\n\r\n'
  const got = await rawExchange(rig.port, wire)
  const parts = got.split(/(?=HTTP\/1\.1 \d{3})/)
  t.equal(parts.length, 5)
  t.match(parts[0], /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 5\r\n/i)
  t.match(parts[0], /\r\nx-filtered: 1\r\n/i)
  t.match(parts[0], /\r\n\r\nhello$/)
  t.match(parts[1], /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 5\r\n/i)
  t.match(parts[1], /\r\n\r\n$/)
  t.match(parts[2], /^HTTP\/1\.1 403 Forbidden\r\n/)
  t.match(parts[3], /^HTTP\/1\.1 404 Not Found\r\n[^]*x-zonegate-error: CHAIN_ERR_HTTP_NO_ROUTE/i)
  t.match(parts[4], /^HTTP\/1\.1 421 Misdirected Request\r\n[^]*x-zonegate-error: CHAIN_ERR_HTTP_MISDIRECTED[^]*connection: close/i)
  const dropped = await rawExchange(rig.port, 'GET / HTTP/1.1\r\nHost: drop\r\n\r\n')
  t.equal(dropped, '')
})

t.test('response filters see proxied responses; hop-by-hop response fields are removed', async t => {
  const up = await echoUpstream(t, (_req, res) => {
    res.setHeader('keep-alive', 'timeout=5'); res.setHeader('x-up', '1'); res.end('x')
  })
  const filter = (h: { status: number, headers: Array<[string, string]> }): void => {
    h.headers = h.headers.filter(([n]) => n.toLowerCase() !== 'x-up'); h.headers.push(['x-f', 'y'])
  }
  const rig = await startEngine(t, { routes: { '*': route('r', { kind: 'http_proxy', proxy: proxySpec(up.url) }, [filter]) } })
  const { res } = await request(rig.port, { path: '/' })
  t.equal(res.headers['x-f'], 'y')
  t.notOk('x-up' in res.headers)
  t.notOk('keep-alive' in res.headers)
})

t.test('idle keep-alive connections close after idleTimeoutMs; a slow head gets 408', async t => {
  const rig = await startEngine(t, { routes: { '*': route('hello', { kind: 'respond', status: 200, headers: {}, body: 'x' }) }, limits: { idleTimeoutMs: 100, headTimeoutMs: 100 } })
  const idle = await rawExchange(rig.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')
  t.equal(countHeads(idle), 1, 'answered, then closed when idle')
  const slow = await rawExchange(rig.port, 'GET / HTTP/1.1\r\nHost:')
  t.match(slow, /^HTTP\/1\.1 408 /)
})

t.test('a malformed chunked request body gets 400 and the upstream stream is dropped', async t => {
  const up = await echoUpstream(t)
  const rig = await startEngine(t, { routes: { '*': route('r', { kind: 'http_proxy', proxy: proxySpec(up.url) }) } })
  const got = await rawExchange(rig.port, 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')
  t.match(got, /^HTTP\/1\.1 400 [^]*x-zonegate-error: CHAIN_ERR_HTTP_BAD_CHUNK/i)
})

t.test('local answers: a Readable body of unknown length is chunked (1.1) or close-delimited (1.0)', async t => {
  const rig = await startEngine(t, {
    routes: { '*': route('s', { kind: 'serve', dir: '/nonexistent', index: [] }) },
    local: async () => ({ status: 200, headers: [['content-type', 'text/plain']], body: Readable.from([Buffer.from('ab'), Buffer.from('cde')]) })
  })
  const v11 = await rawExchange(rig.port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
  t.match(v11, /transfer-encoding: chunked\r\n/i)
  t.match(v11, /\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n$/)
  const v10 = await rawExchange(rig.port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
  t.match(v10, /connection: close\r\n/i)
  t.match(v10, /\r\n\r\nabcde$/)
})

t.test('HTTP/1.0 keep-alive client through the proxy', async t => {
  // Raw upstream answering every head with a length-framed 1.0 keep-alive response; it checks
  // that the engine asked it to keep the connection (1.0 would close by default).
  const heads: string[] = []
  const raw = net.createServer(s => {
    let buf = ''
    s.on('data', d => {
      buf += d.toString('latin1')
      let i
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        heads.push(buf.slice(0, i)); buf = buf.slice(i + 4)
        s.write('HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nx')
      }
    })
  })
  raw.listen(0, '127.0.0.1'); await once(raw, 'listening')
  t.teardown(() => { raw.close() })
  const url = `tcp://127.0.0.1:${(raw.address() as net.AddressInfo).port}`
  const rig = await startEngine(t, { routes: { '*': route('r', { kind: 'http_proxy', proxy: proxySpec(url) }) } })
  const got = await rawExchange(rig.port, 'GET /a HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\nHost: a\r\n\r\n')
  t.equal(countHeads(got), 2, 'both answered, then closed (the second did not ask for keep-alive)')
  t.match(got, /^HTTP\/1\.0 200 OK\r\n[^]*connection: keep-alive\r\n/i)
  t.match(got, /connection: close\r\n\r\nx$/i)
  t.equal(heads.length, 2)
  t.ok(heads.every(h => /\r\nconnection: keep-alive$/i.test(h)), 'upstream hop kept alive')
  t.equal(rig.connectors.get(url)?.stats.opened, 1)
})

t.test('a reused stream that dies before responding: GET is retried on a fresh one, POST gets 502', async t => {
  // Every connection answers its first request and closes without answering its second.
  const raw = net.createServer(s => {
    let n = 0
    s.on('data', () => {
      if (n++ === 0) s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
      else s.destroy()
    })
  })
  raw.listen(0, '127.0.0.1'); await once(raw, 'listening')
  t.teardown(() => { raw.close() })
  const url = `tcp://127.0.0.1:${(raw.address() as net.AddressInfo).port}`
  const rig = await startEngine(t, { routes: { '*': route('r', { kind: 'http_proxy', proxy: proxySpec(url) }) } })
  const got = await rawExchange(rig.port, 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nPOST /3 HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx')
  const parts = got.split(/(?=HTTP\/1\.1 \d{3})/)
  t.equal(parts.length, 3)
  t.match(parts[0], /^HTTP\/1\.1 200 /)
  t.match(parts[1], /^HTTP\/1\.1 200 /, 'retried on a fresh connection')
  t.match(parts[2], /^HTTP\/1\.1 502 [^]*CHAIN_ERR_HTTP_UPSTREAM_CLOSED/i, 'a request with a body is not retried')
  const stats = rig.connectors.get(url)?.stats
  t.equal(stats?.opened, 2)
  t.equal(stats?.reused, 2)
})

t.test('stalled bodies time out: a client pausing mid-body gets 408, an upstream pausing mid-body loses the client', async t => {
  const up = await echoUpstream(t)
  const rig = await startEngine(t, { routes: { '*': route('r', { kind: 'http_proxy', proxy: proxySpec(up.url) }) }, limits: { headTimeoutMs: 150 } })
  const got = await rawExchange(rig.port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc')
  t.match(got, /^HTTP\/1\.1 408 [^]*CHAIN_ERR_HTTP_BODY_TIMEOUT/i)
  const stall = net.createServer(s => { s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')) })
  stall.listen(0, '127.0.0.1'); await once(stall, 'listening')
  t.teardown(() => { stall.close() })
  const url = `tcp://127.0.0.1:${(stall.address() as net.AddressInfo).port}`
  const rig2 = await startEngine(t, { routes: { '*': route('s', { kind: 'http_proxy', proxy: proxySpec(url, { responseTimeoutMs: 150 }) }) } })
  const got2 = await rawExchange(rig2.port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')
  t.match(got2, /\r\n\r\nabc$/)
  t.match(rig2.logs[0], { status: 200, error: 'CHAIN_ERR_HTTP_BODY_TIMEOUT' })
})
