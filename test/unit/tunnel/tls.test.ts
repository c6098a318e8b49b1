// tls:// specifics beyond the compliance suite: SNI from the URL host, verification failures keep
// Node's codes, a handshake that never finishes times out, a client vanishing mid-handshake
// leaves nothing behind on the server.
import t from 'tap'
import net from 'node:net'
import tls from 'node:tls'
import { once } from 'node:events'
import { tlsTunnel } from '../../../src/tunnel/tls/index.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { acceptOne, readAll, settleHandles, quietHandleCount } from '../../compliance/stream-helpers.ts'
import { selfSigned } from '../../helpers/self-signed.ts'

const deps = { logger: silentLogger() }
const signal = (): AbortSignal => AbortSignal.timeout(5000)
const { key, cert } = await selfSigned(t.testdir())

t.test('SNI is the URL host, and is left out for an IP address', { timeout: 10_000 }, async t => {
  const tunnel = tlsTunnel(deps, { client: { ca: cert }, server: { key, cert } })
  t.teardown(() => tunnel.close?.())
  const l = await tunnel.listen(new URL('tls://127.0.0.1:0'))
  const byName = await Promise.all([tunnel.open(new URL(`tls://localhost:${l.url.port}`), { signal: signal() }), acceptOne(l)])
  t.equal((byName[1] as unknown as tls.TLSSocket).servername, 'localhost', 'by name: SNI sent')
  const byIp = await Promise.all([tunnel.open(l.url, { signal: signal() }), acceptOne(l)])
  t.notOk((byIp[1] as unknown as tls.TLSSocket).servername, 'by IP: no SNI')
  for (const s of [...byName, ...byIp]) s.destroy()
})

t.test('an untrusted certificate fails with Node\'s own code', { timeout: 10_000 }, async t => {
  const server = tlsTunnel(deps, { server: { key, cert } })
  t.teardown(() => server.close?.())
  const l = await server.listen(new URL('tls://127.0.0.1:0'))
  await t.rejects(tlsTunnel(deps).open(l.url, { signal: signal() }), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
})

t.test('a handshake that never finishes gives TUN_ERR_CONNECT_TIMEOUT', { timeout: 10_000 }, async t => {
  const silent = net.createServer(() => {}) // accepts TCP, never answers the ClientHello
  const sockets = new Set<net.Socket>()
  silent.on('connection', s => sockets.add(s))
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close() })
  const port = (silent.address() as net.AddressInfo).port
  await t.rejects(tlsTunnel(deps, { connectTimeoutMs: 200 }).open(new URL(`tls://127.0.0.1:${port}`), { signal: signal() }),
    { code: 'TUN_ERR_CONNECT_TIMEOUT' })
})

t.test('clients vanishing mid-handshake leave no server socket behind', { timeout: 10_000 }, async t => {
  const tunnel = tlsTunnel(deps, { client: { ca: cert }, server: { key, cert } })
  t.teardown(() => tunnel.close?.())
  const l = await tunnel.listen(new URL('tls://127.0.0.1:0'))
  const baseline = await quietHandleCount()
  // a TCP client that never starts TLS
  const raw = net.connect(Number(l.url.port), '127.0.0.1')
  await once(raw, 'connect')
  raw.destroy()
  // a TLS client that leaves as soon as its side of the handshake is done
  const quick = tls.connect({ host: '127.0.0.1', port: Number(l.url.port), ca: cert })
  await once(quick, 'secureConnect')
  quick.destroy()
  const left = await settleHandles(baseline)
  t.ok(left.length <= baseline, `server sockets closed (left: ${left.join(', ')})`)
})

t.test('listen without server options is TUN_ERR_NOT_SUPPORTED', async t => {
  await t.rejects(tlsTunnel(deps).listen(new URL('tls://127.0.0.1:0')), { code: 'TUN_ERR_NOT_SUPPORTED' })
})

t.test('half-close survives the per-socket allowHalfOpen switch', { timeout: 10_000 }, async t => {
  const tunnel = tlsTunnel(deps, { client: { ca: cert }, server: { key, cert } })
  t.teardown(() => tunnel.close?.())
  const l = await tunnel.listen(new URL('tls://127.0.0.1:0'))
  const [client, server] = await Promise.all([tunnel.open(l.url, { signal: signal() }), acceptOne(l)])
  const request = readAll(server)
  const response = readAll(client)
  client.end('q')
  t.equal((await request).toString(), 'q')
  server.end('a')
  t.equal((await response).toString(), 'a')
})
