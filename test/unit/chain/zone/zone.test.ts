// The zone action over real loopback sockets: TLS passed through to the zone (with a PROXY v2
// header naming the real client) after failing over past a dead upstream, port-80 HTTP routed by
// Host with the whole connection forwarded, and the coded refusals.
import t from 'tap'
import net from 'node:net'
import fc from 'fast-check'
import tls from 'node:tls'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chain, startChains, type Harness } from '../runtime/harness.ts'
import { makeCert } from '../tls/make-cert.ts'
import { parseProxyHeader, type ProxyHeader } from '../../../../src/chain/probes/proxy-protocol.ts'
import { TunnelRegistry } from '../../../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../../../src/tunnel/tcp/index.ts'
import { silentLogger } from '../../../../src/core/logger.ts'
import { compileChainSet } from '../../../../src/chain/runtime/chain-set.ts'
import type { ZoneResolver } from '../../../../src/chain/zone/zone.ts'
import type { ProcessSpec } from '../../../../src/chain/types.ts'
import { closedPort } from '../../../helpers/free-port.ts'
import { blackholePort } from '../../../helpers/blackhole.ts'
import { withinTime } from '../../../helpers/within-time.ts'

const logger = silentLogger()
const registry = new TunnelRegistry().register(tcpTunnel({ logger }))
t.teardown(() => registry.close())
const open = async (url: string, o: { signal: AbortSignal }): Promise<net.Socket> => await registry.open(url, o) as unknown as net.Socket

const dir = await mkdtemp(join(tmpdir(), 'zone-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))
const made = await makeCert(dir, 'app', { cn: 'app.alice.test' })
const cert = await readFile(made.certFile)
const key = await readFile(made.keyFile)

interface ZoneServer { url: string, headers: ProxyHeader[], raw: Buffer[], close (): void }

/**
 * A zone's gateway: reads a PROXY header when one comes first, then either terminates TLS with
 * the zone's own certificate and echoes, or (plain) records the bytes and answers HTTP.
 */
async function zoneServer (mode: 'tls' | 'http', expectProxy: boolean): Promise<ZoneServer> {
  const headers: ProxyHeader[] = []
  const raw: Buffer[] = []
  const sockets: net.Socket[] = []
  const srv = net.createServer(socket => {
    sockets.push(socket)
    socket.on('error', () => {})
    let buf = Buffer.alloc(0)
    const start = (rest: Buffer): void => {
      if (rest.length > 0) socket.unshift(rest)
      if (mode === 'tls') {
        const s = new tls.TLSSocket(socket, { isServer: true, key, cert })
        s.on('error', () => {})
        s.on('data', (d: Buffer) => s.write(`zone:${d.toString()}`))
        return
      }
      socket.on('data', (d: Buffer) => {
        raw.push(d)
        const text = Buffer.concat(raw).toString()
        const requests = text.split('\r\n\r\n').length - 1
        if (requests >= 2) socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok')
      })
    }
    if (!expectProxy) { start(Buffer.alloc(0)); return }
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d])
      const r = parseProxyHeader(buf)
      if (r.status === 'need_more') return
      socket.off('data', onData)
      socket.pause()
      // No resume() here: the TLS wrapper (or the 'data' listener) takes the unshifted bytes first.
      if (r.status === 'done') { headers.push(r.header); start(buf.subarray(r.bytes)) } else start(buf)
    }
    socket.on('data', onData)
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  return { url: `tcp://127.0.0.1:${(srv.address() as net.AddressInfo).port}`, headers, raw, close () { for (const s of sockets) s.destroy(); srv.close() } }
}

function resolver (table: Record<string, string[] | undefined>, asked: Array<[string, string]> = []): ZoneResolver {
  return { resolve (name, target) { asked.push([name, target]); return table[name] } }
}

const zone = (target: string, proxyProtocol?: 'v2', connectTimeoutMs = 2000): ProcessSpec => ({ kind: 'zone', zone: { target, connectTimeoutMs, ...(proxyProtocol != null ? { proxyProtocol } : {}) } })

async function harness (t: { teardown (fn: () => unknown): void }, table: Record<string, string[] | undefined>, process: ProcessSpec, asked?: Array<[string, string]>): Promise<Harness> {
  const h = await startChains([chain('pub', [{ id: 'zones', process }])], 'pub', { open, zones: resolver(table, asked) })
  t.teardown(() => h.close())
  return h
}

/** One raw HTTP exchange: the full answer text once the SN closes. */
async function rawHttp (port: number, request: string): Promise<string> {
  const c = net.connect(port, '127.0.0.1')
  c.on('error', () => {})
  c.write(request)
  const chunks: Buffer[] = []
  c.on('data', (d: Buffer) => chunks.push(d))
  await new Promise(resolve => c.once('close', resolve))
  return Buffer.concat(chunks).toString()
}

t.test('TLS for a zone name: passed through untouched after failover, PROXY v2 first', { timeout: 15_000 }, async t => {
  const up = await zoneServer('tls', true)
  t.teardown(() => up.close())
  const dead = `tcp://127.0.0.1:${await closedPort()}`
  const asked: Array<[string, string]> = []
  const h = await harness(t, { 'app.alice.test': [dead, up.url] }, zone('https', 'v2'), asked)
  // The client trusts only the zone's own certificate: the SN holds none, so it cannot be in the middle.
  const c = tls.connect({ port: h.port, host: '127.0.0.1', servername: 'app.alice.test', ca: cert })
  await once(c, 'secureConnect')
  t.equal(c.getPeerCertificate().fingerprint256, made.fingerprint256, 'the zone\'s certificate, end to end')
  c.write('hello')
  const [echo] = await once(c, 'data') as [Buffer]
  t.equal(echo.toString(), 'zone:hello')
  t.same(asked, [['app.alice.test', 'https']], 'looked up by SNI with the route\'s target')
  t.equal(up.headers.length, 1)
  t.match(up.headers[0], { command: 'proxy', source: { address: '127.0.0.1', port: c.localPort }, destination: { address: '127.0.0.1', port: h.port } })
  c.end()
  const e = await h.entry()
  t.match(e, { route: 'zones', zone: 'app.alice.test', upstream: up.url })
  t.equal(e.error, undefined)
})

t.test('TLS for an unknown name, or a zone with nothing reachable: reset before any handshake, coded', { timeout: 15_000 }, async t => {
  const dead = `tcp://127.0.0.1:${await closedPort()}`
  const h = await harness(t, { 'down.alice.test': [dead], 'empty.alice.test': [] }, zone('https'))
  const cases: Array<[string, string]> = [['nobody.test', 'CHAIN_ERR_ZONE_UNKNOWN'], ['down.alice.test', 'CHAIN_ERR_ZONE_UNREACHABLE'], ['empty.alice.test', 'CHAIN_ERR_ZONE_UNREACHABLE']]
  for (const [i, [name, code]] of cases.entries()) {
    const c = tls.connect({ port: h.port, host: '127.0.0.1', servername: name, rejectUnauthorized: false })
    const [err] = await once(c, 'error') as [NodeJS.ErrnoException]
    t.match(err.code, /ECONNRESET|EPIPE/, `${name}: the client sees a reset`)
    t.match(await h.entry(i), { zone: name, error: code }, `${name}: ${code}`)
  }
})

t.test('port-80 HTTP by Host: the whole connection goes to the zone, peeked head first', { timeout: 15_000 }, async t => {
  const up = await zoneServer('http', false)
  t.teardown(() => up.close())
  const asked: Array<[string, string]> = []
  const h = await harness(t, { 'alice.test': [up.url] }, zone('http'), asked)
  const req = 'GET /a HTTP/1.1\r\nHost: Alice.Test\r\n\r\nGET /b HTTP/1.1\r\nHost: other.test\r\n\r\n'
  const answer = await rawHttp(h.port, req)
  t.match(answer, /^HTTP\/1\.1 200 OK[\s\S]*okHTTP\/1\.1 200 OK[\s\S]*ok$/)
  t.equal(Buffer.concat(up.raw).toString(), req, 'both requests, byte for byte: the second is not routed again')
  t.same(asked, [['alice.test', 'http']])
  t.match(await h.entry(), { zone: 'alice.test', upstream: up.url, bytesIn: req.length })
})

t.test('HTTP refusals are coded answers: 404 unknown zone, 502 unreachable, 400 without Host', { timeout: 15_000 }, async t => {
  const dead = `tcp://127.0.0.1:${await closedPort()}`
  const h = await harness(t, { 'down.test': [dead, dead], 'none.test': [] }, zone('http'))
  const cases: Array<[string, number, string]> = [
    ['GET / HTTP/1.1\r\nHost: nobody.test\r\n\r\n', 404, 'CHAIN_ERR_ZONE_UNKNOWN'],
    ['GET / HTTP/1.1\r\nHost: down.test\r\n\r\n', 502, 'CHAIN_ERR_ZONE_UNREACHABLE'],
    ['GET / HTTP/1.1\r\nHost: none.test\r\n\r\n', 502, 'CHAIN_ERR_ZONE_UNREACHABLE'],
    ['GET / HTTP/1.0\r\n\r\n', 400, 'CHAIN_ERR_ZONE_NO_NAME']
  ]
  for (const [i, [req, status, code]] of cases.entries()) {
    const answer = await rawHttp(h.port, req)
    t.match(answer, new RegExp(`^HTTP/1\\.[01] ${status} `), `${code}: status ${status}`)
    t.match(answer, new RegExp(`\\r\\nx-zonegate-error: ${code}\\r\\n`, 'i'))
    t.match(await h.entry(i), { error: code })
  }
})

t.test('a kept-alive HTTP connection that reaches a zone route later is sent back with 421', { timeout: 15_000 }, async t => {
  const up = await zoneServer('http', false)
  t.teardown(() => up.close())
  const h = await startChains([chain('pub', [
    { id: 'own', match: { host: ['sn.test'] }, process: { kind: 'respond', status: 200, headers: {}, body: 'sn' } },
    { id: 'zones', process: zone('http') }
  ])], 'pub', { open, zones: resolver({ 'alice.test': [up.url] }) })
  t.teardown(() => h.close())
  const answer = await rawHttp(h.port, 'GET / HTTP/1.1\r\nHost: sn.test\r\n\r\nGET / HTTP/1.1\r\nHost: alice.test\r\nConnection: close\r\n\r\n')
  t.match(answer, /^HTTP\/1\.1 200 [\s\S]*\r\n\r\nsnHTTP\/1\.1 421 /)
  t.equal(up.raw.length, 0, 'nothing reached the zone on the shared connection')
})

t.test('an upstream whose connect hangs is given up after connect_timeout, and the next one used', { timeout: 15_000 }, async t => {
  const up = await zoneServer('http', false)
  t.teardown(() => up.close())
  const hole = `tcp://127.0.0.1:${await blackholePort(t)}`
  const h = await harness(t, { 'alice.test': [hole, up.url] }, zone('http', undefined, 300))
  const started = performance.now()
  const answer = await rawHttp(h.port, 'GET / HTTP/1.1\r\nHost: alice.test.\r\n\r\nGET / HTTP/1.1\r\nHost: alice.test\r\n\r\n')
  t.match(answer, /^HTTP\/1\.1 200 OK/)
  t.ok(performance.now() - started >= 290, 'the first upstream had its connect_timeout')
  t.match(await h.entry(), { zone: 'alice.test', upstream: up.url }, 'a trailing dot in the name is ignored')
})

t.test('a zone route needs a zone registry: compiling without one is a coded error', { timeout: 15_000 }, async t => {
  await t.rejects(compileChainSet([chain('pub', [{ id: 'z', process: zone('https') }])], { open, logger }), { code: 'CHAIN_ERR_ZONE_NO_RESOLVER' })
})

t.test('property: whatever bytes a client sends first, the zone action ends the connection with a coded outcome', { timeout: 30_000 }, async t => {
  const up = await zoneServer('http', false)
  t.teardown(() => up.close())
  const table: Record<string, string[] | undefined> = new Proxy({}, { get: (_o, name) => String(name).endsWith('.zone.test') ? [up.url] : undefined })
  const h = await startChains([chain('pub', [{ id: 'zones', process: zone('http', 'v2') }], { probeTimeoutMs: 300, probeMaxBytes: 2048 })], 'pub', { open, zones: resolver(table) })
  t.teardown(() => h.close())
  // Random bytes, or an HTTP head around a random Host, so both the refusal and the forward paths run.
  const first = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 512 }).map(b => Buffer.from(b)),
    fc.tuple(fc.string({ maxLength: 40 }), fc.boolean()).map(([host, known]) => Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}${known ? '.zone.test' : ''}\r\n\r\n`, 'latin1'))
  )
  let n = 0
  await fc.assert(fc.asyncProperty(first, withinTime(5000, async bytes => {
    const c = net.connect(h.port, '127.0.0.1')
    c.on('error', () => {})
    c.on('data', () => {})
    c.end(bytes)
    await new Promise(resolve => c.once('close', resolve))
    const e = await h.entry(n++)
    // An upstream was reached, or the reason is one of ours.
    return e.upstream === up.url || /^(CHAIN_ERR_|TUN_ERR_)/.test(String(e.error))
  })), { numRuns: 200 })
  t.pass('every connection ended with a coded outcome')
})
