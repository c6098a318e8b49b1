// tcp:// specifics beyond the compliance suite: URL forms, coded errors with their OS causes,
// connect timeout and abort on a connect that is really pending, listener bookkeeping.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { tcpTunnel } from '../../../src/tunnel/tcp/index.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { acceptOne, readAll, settleHandles, quietHandleCount } from '../../compliance/stream-helpers.ts'
import { blackholePort } from '../../helpers/blackhole.ts'
import { closedPort } from '../../helpers/free-port.ts'

const deps = { logger: silentLogger() }
const signal = (): AbortSignal => AbortSignal.timeout(5000)

async function ipv6Available (): Promise<boolean> {
  const srv = net.createServer()
  try {
    srv.listen(0, '::1')
    await once(srv, 'listening')
    return true
  } catch {
    return false
  } finally {
    srv.close()
  }
}

t.test('listen resolves port 0 and streams carry both ends\' urls', { timeout: 10_000 }, async t => {
  const tunnel = tcpTunnel(deps)
  t.teardown(() => tunnel.close?.())
  const l = await tunnel.listen(new URL('tcp://127.0.0.1:0'))
  t.equal(l.url.hostname, '127.0.0.1')
  t.ok(Number(l.url.port) > 0, `a real port (${l.url.port})`)
  const [client, server] = await Promise.all([tunnel.open(new URL(`tcp://127.0.0.1:${l.url.port}`), { signal: signal() }), acceptOne(l)])
  t.equal(client.remoteUrl.href, l.url.href, 'client remoteUrl is the listener')
  t.equal(server.localUrl.href, l.url.href, 'server localUrl is the listener')
  t.equal(server.remoteUrl.href, client.localUrl.href, 'server sees the client\'s address')
  t.not(client.id, server.id, 'ids are unique')
  t.ok(client instanceof net.Socket, 'the stream is the socket itself')
  client.destroy(); server.destroy()
})

const v6 = await ipv6Available()
t.test('IPv6 loopback: tcp://[::1]:port', { timeout: 10_000, skip: v6 ? false : '::1 is not configured on this machine' }, async t => {
  const tunnel = tcpTunnel(deps)
  t.teardown(() => tunnel.close?.())
  const l = await tunnel.listen(new URL('tcp://[::1]:0'))
  t.match(l.url.href, /^tcp:\/\/\[::1\]:\d+$/)
  void (async () => { for await (const s of l.accept()) s.pipe(s) })()
  const client = await tunnel.open(l.url, { signal: signal() })
  const back = readAll(client)
  client.end('over v6')
  t.equal((await back).toString(), 'over v6')
})

t.test('refused connect keeps the OS error as cause', async t => {
  const port = await closedPort()
  const err = await tcpTunnel(deps).open(new URL(`tcp://127.0.0.1:${port}`), { signal: signal() }).catch((e: unknown) => e) as Error & { code: string }
  t.equal(err.code, 'TUN_ERR_CONNECT_REFUSED')
  t.equal((err.cause as { code?: string }).code, 'ECONNREFUSED')
})

t.test('a port in use gives TUN_ERR_ADDRESS_IN_USE', async t => {
  const tunnel = tcpTunnel(deps)
  t.teardown(() => tunnel.close?.())
  const l = await tunnel.listen(new URL('tcp://127.0.0.1:0'))
  const err = await tunnel.listen(l.url).catch((e: unknown) => e) as Error & { code: string }
  t.equal(err.code, 'TUN_ERR_ADDRESS_IN_USE')
  t.equal((err.cause as { code?: string }).code, 'EADDRINUSE')
})

t.test('connect timeout gives TUN_ERR_CONNECT_TIMEOUT and releases the socket', { timeout: 20_000 }, async t => {
  const port = await blackholePort(t)
  const baseline = await quietHandleCount()
  const started = performance.now()
  await t.rejects(tcpTunnel(deps, { connectTimeoutMs: 200 }).open(new URL(`tcp://127.0.0.1:${port}`), { signal: signal() }),
    { code: 'TUN_ERR_CONNECT_TIMEOUT' })
  t.ok(performance.now() - started < 3000, 'gave up after about the timeout')
  t.ok((await settleHandles(baseline)).length <= baseline, 'no socket left behind')
})

t.test('abort during a pending connect gives TUN_ERR_ABORTED and releases the socket', { timeout: 20_000 }, async t => {
  const port = await blackholePort(t)
  const baseline = await quietHandleCount()
  const ac = new AbortController()
  const opening = tcpTunnel(deps).open(new URL(`tcp://127.0.0.1:${port}`), { signal: ac.signal })
  const pending = setImmediate(() => { ac.abort(new Error('caller gave up')) })
  t.teardown(() => clearImmediate(pending))
  const err = await opening.catch((e: unknown) => e) as Error & { code: string }
  t.equal(err.code, 'TUN_ERR_ABORTED')
  t.equal((err.cause as Error).message, 'caller gave up', 'the abort reason is the cause')
  t.ok((await settleHandles(baseline)).length <= baseline, 'the connecting socket was destroyed')
})

t.test('URLs that do not name host:port are TUN_ERR_INVALID_URL', async t => {
  const tunnel = tcpTunnel(deps)
  for (const bad of ['tcp://127.0.0.1', 'tcp://127.0.0.1:0', 'tcp://127.0.0.1:80/:8080', 'tcp://127.0.0.1:80/name']) {
    await t.rejects(tunnel.open(new URL(bad), { signal: signal() }), { code: 'TUN_ERR_INVALID_URL' }, bad)
  }
})

t.test('tunnel.close() closes its listeners; accepted streams survive', { timeout: 10_000 }, async t => {
  const tunnel = tcpTunnel(deps)
  const l = await tunnel.listen(new URL('tcp://127.0.0.1:0'))
  const [client, server] = await Promise.all([tunnel.open(l.url, { signal: signal() }), acceptOne(l)])
  const iterating = (async () => { for await (const s of l.accept()) s.destroy() })()
  await tunnel.close?.()
  await iterating
  await t.rejects(tunnel.open(l.url, { signal: signal() }), { code: 'TUN_ERR_CONNECT_REFUSED' })
  const back = readAll(client)
  server.end('still here')
  t.equal((await back).toString(), 'still here')
  client.destroy(); server.destroy()
})
