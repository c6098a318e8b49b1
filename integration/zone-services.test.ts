// A two-node zone on loopback, each node a gateway with its own key: node 1 serves the zone's
// system-config (node:sqlite, then etcd: the same story on both backends) and its token issuer,
// node 2 reaches them over HTTP and keeps an rtcp tunnel to node 1. Services announce themselves
// with `zonegate service announce`; the gateways follow system-config by watch and route
// /kapi/<svc>/ to a live instance, the local one first, a remote one over rtcp, failing over
// before any byte flows. A private app needs a session cookie from the token issuer.
import t, { type Test } from 'tap'
import http from 'node:http'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zonegate, zonegateRun, keygen, writeConfig, freePort, type ZonegateProcess, eventually } from './harness/proc.ts'
import { curl } from './harness/chain.ts'
import { loadDeviceKey } from '../src/identity/key-file.ts'
import { signJwt } from '../src/identity/jwt.ts'
import { createSysConfigClient } from '../src/sysconfig/client.ts'
import { startEtcd } from '../test/helpers/etcd.ts'

const ZONE = 'alice.test'

/** An HTTP service that answers with its name and what it saw. */
async function service (t: Test, name: string): Promise<{ port: number, seen: http.IncomingHttpHeaders[], server: http.Server }> {
  const seen: http.IncomingHttpHeaders[] = []
  const server = http.createServer((req, res) => {
    seen.push(req.headers)
    res.setHeader('content-type', 'text/plain')
    res.end(`${name} ${req.url} user=${String(req.headers['x-zonegate-user'] ?? '-')}\n`)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { port: (server.address() as { port: number }).port, seen, server }
}

async function story (t: Test, backend: { backend: 'sqlite' } | { backend: 'etcd', etcd: { endpoints: string[], prefix: string } }): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'zonegate-zone-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const [owner, k1, k2] = await Promise.all(['owner', 'node1', 'node2'].map(async n => await keygen(dir, n)))
  const [rtcp1, web1, web2] = await Promise.all([freePort(), freePort(), freePort()])
  const sysconfigUrl = `http://127.0.0.1:${web1}/kapi/system_config`
  const nodeChain = (login: string): Record<string, unknown> => ({
    probe: ['http'],
    routes: [
      { id: 'sysconfig', match: { path_prefix: '/kapi/system_config' }, process: { http_proxy: 'internal://system_config' } },
      { id: 'verify_hub', match: { path_prefix: '/kapi/verify_hub' }, process: { http_proxy: 'internal://verify_hub' } },
      { id: 'kapi', match: { path_prefix: '/kapi/' }, process: { kapi: {} } },
      { id: 'apps', match: { host: `*.${ZONE}` }, process: { app: { login } } }
    ]
  })
  const login = `http://${ZONE}:${web1}/login`
  const f1 = await writeConfig(dir, 'node1', {
    role: 'gateway',
    device: { key: k1.file },
    rtcp: { listen: [`127.0.0.1:${rtcp1}`], trust: { devices: ['node2'] }, peers: { node2: { did: k2.did } } },
    sysconfig: { zone: ZONE, owner: owner.did, node: 'node1', devices: { node2: k2.did }, serve: { ...backend, file: join(dir, 'sysconfig.db') } },
    stacks: [{ id: 'node', listen: `127.0.0.1:${web1}`, chain: 'node' }],
    chains: { node: nodeChain(login) }
  })
  const node2Chain = nodeChain(login)
  // Node 2 serves no system-config of its own: its /kapi/system_config goes to node 1.
  ;(node2Chain.routes as Array<Record<string, unknown>>).splice(0, 2, { id: 'sysconfig', match: { path_prefix: '/kapi/system_config' }, process: { http_proxy: `tcp://127.0.0.1:${web1}` } })
  const f2 = await writeConfig(dir, 'node2', {
    role: 'gateway',
    device: { key: k2.file },
    rtcp: { trust: { devices: ['node1'] }, peers: { node1: { did: k1.did, addrs: [`127.0.0.1:${rtcp1}`], keep: true } }, reconnect: { initial: '100ms', max: '1s' } },
    sysconfig: { zone: ZONE, owner: owner.did, node: 'node2', devices: { node1: k1.did }, url: sysconfigUrl },
    stacks: [{ id: 'node', listen: `127.0.0.1:${web2}`, chain: 'node' }],
    chains: { node: node2Chain }
  })
  const n1 = zonegate(t, 'node1', ['gateway', '-c', f1])
  await n1.waitFor(l => l.msg === 'service discovery ready', 20_000)
  const n2 = zonegate(t, 'node2', ['gateway', '-c', f2])
  await n2.waitFor(l => l.msg === 'tunnel up', 20_000)
  await n2.waitFor(l => l.msg === 'service discovery ready', 20_000)

  // The owner's view of system-config, as any client of the RPC.
  const ownerKey = await loadDeviceKey(owner.file)
  const admin = createSysConfigClient({ url: sysconfigUrl, token: async () => await signJwt(ownerKey, {}, { audience: ZONE, ttlSeconds: 60 }) })

  // Instances: echo on both nodes, only2 on node 2 only, notes (a private app) on node 2.
  const [a, b, only2, notes] = await Promise.all(['echo-A', 'echo-B', 'only2', 'notes'].map(async n => await service(t, n)))
  const announce = (name: string, svc: string, node: string, key: string, port: number): ZonegateProcess =>
    zonegate(t, name, ['service', 'announce', '--sysconfig', sysconfigUrl, '--token-key', key, '--zone', ZONE, '--service', svc, '--node', node, '--port', `http=${port}`, '--ttl', '3s'])
  const annA = announce('announce-A', 'echo', 'node1', k1.file, a.port)
  announce('announce-B', 'echo', 'node2', k2.file, b.port)
  announce('announce-only2', 'only2', 'node2', k2.file, only2.port)
  announce('announce-notes', 'notes', 'node2', k2.file, notes.port)
  const info = await eventually('services/echo/info lists both nodes', 15_000, async () => {
    const v = await admin.get('services/echo/info')
    const parsed = v != null ? JSON.parse(v.value) as { instances: Array<{ node: string }> } : undefined
    return parsed != null && parsed.instances.length === 2 ? parsed : undefined
  })
  t.same(info.instances.map(i => i.node).sort(), ['node1', 'node2'], 'the info record is derived from live instances')

  const get = async (port: number, path: string, extra: string[] = []): Promise<{ code: number | null, body: string, head: string }> => {
    const r = await curl(['-D', '-', ...extra, `http://127.0.0.1:${port}${path}`])
    const [head, ...rest] = r.stdout.split('\r\n\r\n')
    return { code: r.code, head, body: rest.join('\r\n\r\n') }
  }
  // Through either node; each node prefers its own instance.
  const via1 = await eventually('node 1 routes /kapi/echo', 10_000, async () => { const r = await get(web1, '/kapi/echo/x'); return r.body.startsWith('echo-') ? r : undefined })
  t.match(via1.body, /^echo-A \/kapi\/echo\/x/, 'node 1 serves from its own instance')
  const via2 = await eventually('node 2 routes /kapi/echo', 10_000, async () => { const r = await get(web2, '/kapi/echo/y'); return r.body.startsWith('echo-') ? r : undefined })
  t.match(via2.body, /^echo-B \/kapi\/echo\/y/, 'node 2 serves from its own instance')

  // A service only on node 2, called through node 1: it travels over the rtcp tunnel.
  const before = only2.seen.length
  const remote = await eventually('node 1 reaches only2', 10_000, async () => { const r = await get(web1, '/kapi/only2/z'); return r.body.startsWith('only2') ? r : undefined })
  t.match(remote.body, /^only2 \/kapi\/only2\/z/)
  t.equal(only2.seen.length, before + 1)
  // The access line names the stream the request went through: an rtcp stream to node 2's key.
  const access = await n1.waitFor(l => typeof l.target === 'string' && l.target.startsWith(`rtcp://${encodeURIComponent(k2.did)}/`), 5000)
  t.ok(access, 'node 1 reached it over rtcp to node 2')

  // Kill instance A without a goodbye (its report stays until it expires): node 1 fails over to
  // B before any byte flows, so no request sees a 5xx.
  await annA.stop('SIGKILL')
  a.server.closeAllConnections()
  await new Promise<void>(resolve => a.server.close(() => resolve()))
  const codes: string[] = []
  for (let i = 0; i < 20; i++) {
    const r = await get(web1, `/kapi/echo/after-${i}`)
    codes.push(/^HTTP\/1\.1 (\d+)/.exec(r.head)?.[1] ?? 'none')
    t.match(r.body, /^echo-B/, `request ${i} after the kill is served by B`)
  }
  t.same([...new Set(codes)], ['200'], 'no 5xx after the instance died')
  await eventually('the dead instance drops out of info', 10_000, async () => {
    const v = await admin.get('services/echo/info')
    const parsed = v != null ? JSON.parse(v.value) as { instances: Array<{ node: string }> } : undefined
    return parsed != null && parsed.instances.length === 1 && parsed.instances[0].node === 'node2' ? true : undefined
  })

  // A private app: without a session cookie, a redirect to the zone's login page with the
  // original URL; with a session token from the token issuer, served, with the user named.
  await admin.set('apps/notes/spec', JSON.stringify({ service: 'notes', private: true }))
  const appUrl = ['-H', `host: notes.${ZONE}`]
  const noCookie = await eventually('the app is known', 10_000, async () => { const r = await get(web1, '/page?x=1', appUrl); return /^HTTP\/1\.1 302/.test(r.head) ? r : undefined })
  const location = /location: (.*)/i.exec(noCookie.head)?.[1]?.trim()
  t.ok(location?.startsWith(login), `redirected to the login page: ${location}`)
  t.match(decodeURIComponent(location ?? ''), `notes.${ZONE}/page?x=1`, 'with the original URL')
  t.notOk(notes.seen.some(h => h.host === `notes.${ZONE}`), 'the app saw nothing')
  const bad = await get(web1, '/page', [...appUrl, '-H', 'cookie: zonegate_session=forged.token.here'])
  t.match(bad.head, /^HTTP\/1\.1 302/, 'a forged cookie is not a session')

  const loginJwt = await signJwt(ownerKey, { purpose: 'login' }, { audience: ZONE, ttlSeconds: 60 })
  const res = await fetch(`http://127.0.0.1:${web1}/kapi/verify_hub`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'login_by_jwt', params: { jwt: loginJwt }, sys: [1] }) })
  const pair = (await res.json() as { result?: { session_token: string } }).result
  t.ok(pair?.session_token, 'the token issuer gives a session for a login signed by the owner')
  for (const port of [web1, web2]) {
    const ok = await get(port, '/page', [...appUrl, '-H', `cookie: zonegate_session=${pair!.session_token}`, '-H', 'x-zonegate-user: mallory'])
    t.match(ok.head, /^HTTP\/1\.1 200/, `with the cookie the app answers through node ${port === web1 ? 1 : 2}`)
    t.match(ok.body, /^notes \/page user=root/, 'the app learns the user; a forged header is replaced')
  }

  // A third device, in no config: the owner enrolls it in system-config, and it is trusted.
  const k3 = await keygen(dir, 'node3')
  const node3 = createSysConfigClient({ url: sysconfigUrl, token: async () => await signJwt(await loadDeviceKey(k3.file), {}, { audience: ZONE, ttlSeconds: 60 }) })
  await t.rejects(node3.list(''), { code: 'SYSCFG_ERR_AUTH' }, 'an unknown device is refused')
  const enroll = await zonegateRun(['zone', 'add-device', '--sysconfig', sysconfigUrl, '--zone', ZONE, '--owner', owner.file, '--device', k3.did, '--name', 'node3'])
  t.match(enroll.stdout, /^enrolled node3 /, 'zonegate zone add-device --sysconfig enrolls it')
  await eventually('the enrolled device is trusted', 5000, async () => await node3.list('services/').catch(() => undefined))
  await node3.set('services/echo/instances/node3', '{}')
  await t.rejects(node3.set('services/echo/instances/node1', '{}'), { code: 'SYSCFG_ERR_FORBIDDEN' }, 'it writes as device node3, not as another')
  await zonegateRun(['zone', 'remove-device', '--sysconfig', sysconfigUrl, '--zone', ZONE, '--owner', owner.file, '--device', k3.did])
  await eventually('the removed device is refused again', 5000, async () => await node3.list('').then(() => undefined, (e: { code?: string }) => e.code === 'SYSCFG_ERR_AUTH' ? true : undefined))
  t.pass('remove-device --sysconfig takes the trust away')
}

t.test('two nodes, system-config on node:sqlite', async t => { await story(t, { backend: 'sqlite' }) })

t.test('two nodes, system-config on etcd', async t => {
  const etcd = await startEtcd()
  t.teardown(() => etcd.stop())
  await story(t, { backend: 'etcd', etcd: { endpoints: [etcd.endpoint], prefix: 'zone-test/' } })
})
