// Discovery end to end over the embedded store: announce → info → resolver → service:// stream,
// withdrawal, expiry without a delete, failover, local preference, two derivers, compaction.
import t from 'tap'
import { silentLogger } from '../../../src/core/logger.ts'
import { openSqliteStore } from '../../../src/sysconfig/store/index.ts'
import type { KvStore } from '../../../src/sysconfig/store/types.ts'
import { SYSCFG_ERR_COMPACTED } from '../../../src/sysconfig/errors.ts'
import { fromStore, type DiscoverySource } from '../../../src/discovery/source.ts'
import { announceInstance } from '../../../src/discovery/announce.ts'
import { startInfoDeriver } from '../../../src/discovery/deriver.ts'
import { createServiceResolver } from '../../../src/discovery/resolver.ts'
import { serviceTunnel } from '../../../src/discovery/tunnel.ts'
import { infoKey, instanceKey, parseServiceInfo } from '../../../src/discovery/records.ts'
import { closedPort } from '../../helpers/free-port.ts'
import { namedServer, network, readAll, until, type Teardown } from './helpers.ts'

const logger = silentLogger()

function openStore (t: Teardown, historyLimit?: number): KvStore {
  const store = openSqliteStore({ file: ':memory:', historyLimit })
  t.teardown(() => store.close())
  return store
}

async function infoNodes (store: KvStore, svc: string): Promise<string[] | undefined> {
  const e = await store.get(infoKey(svc))
  return e === undefined ? undefined : parseServiceInfo(e.value).instances.map(i => i.node)
}

async function setup (t: Teardown, store: KvStore, localNode = 'gw') {
  const source = fromStore(store)
  const deriver = startInfoDeriver({ source, logger })
  t.teardown(() => deriver.stop())
  const resolver = createServiceResolver({ source, localNode, logger })
  t.teardown(() => resolver.stop())
  const net = await network(t)
  const kind = serviceTunnel({ resolver, open: net.open, logger, connectTimeoutMs: 2000 })
  net.registry.register(kind)
  await Promise.all([deriver.ready, resolver.ready])
  return { source, deriver, resolver, net }
}

const signal = (): AbortSignal => AbortSignal.timeout(5000)

t.test('announce → info → resolver → service:// reaches the announced server; stop withdraws it', async t => {
  const store = openStore(t)
  const { source, resolver, net } = await setup(t, store)
  const web = await namedServer(t, 'web@node2')
  const a = announceInstance({ source, service: 'web', node: 'node2', ports: { http: web.port }, logger })
  await a.written
  const report = JSON.parse((await store.get(instanceKey('web', 'node2')))!.value)
  t.same(report.ports, { http: web.port })
  t.equal(report.state, 'running')
  t.ok(report.expires_at > Date.now() + 20_000, 'default ttl 30 s')

  await until(async () => (await infoNodes(store, 'web'))?.includes('node2') === true, 5000, 'info lists node2')
  const info = parseServiceInfo((await store.get(infoKey('web')))!.value)
  t.same(info.instances, [{ node: 'node2', ports: { http: web.port }, weight: 1 }])
  t.ok(info.revision > 0)

  await until(() => resolver.resolve('web').length === 1, 5000, 'resolver sees web')
  t.same(resolver.resolve('web'), [{ url: `rtcp://node2/:${web.port}`, node: 'node2', port: web.port, weight: 1, local: false }])
  t.same(resolver.resolve('web', 'http').map(c => c.port), [web.port], 'by port name')
  t.same(resolver.resolve('web', 'grpc'), [], 'a port the instance does not offer')

  const s = await net.registry.open('service://web/', { signal: signal() })
  t.equal(await readAll(s), 'web@node2', 'the stream reached the announced server over rtcp')
  const s2 = await net.registry.open('service://web/http', { signal: signal() })
  t.equal(await readAll(s2), 'web@node2', 'named port as the path')

  await a.stop()
  t.equal(await store.get(instanceKey('web', 'node2')), undefined, 'stop deletes the key')
  await until(async () => (await infoNodes(store, 'web'))?.length === 0, 5000, 'info empties')
  await until(() => resolver.resolve('web').length === 0, 5000, 'resolver drops it')
  await t.rejects(net.registry.open('service://web/', { signal: signal() }), { code: 'SVC_ERR_NO_INSTANCE' })
})

t.test('an instance whose refreshes stop (no delete) expires within its ttl', async t => {
  const store = openStore(t)
  const { source, resolver } = await setup(t, store)
  const web = await namedServer(t, 'x')
  // The announcer "dies": after its first report every write goes nowhere.
  let dead = false
  const dying: DiscoverySource = { ...source, set: async (k, v) => dead ? 0 : await source.set(k, v) }
  const ttlMs = 900
  const a = announceInstance({ source: dying, service: 'web', node: 'node2', ports: { http: web.port }, ttlMs, logger })
  t.teardown(() => { dead = true; return a.stop().catch(() => {}) })
  await a.written
  dead = true
  const started = Date.now()
  await until(() => resolver.resolve('web').length === 1, 2000, 'resolver sees it')
  await until(async () => (await infoNodes(store, 'web'))?.length === 1, 2000, 'info lists it')
  await until(() => resolver.resolve('web').length === 0, ttlMs + 2000, 'resolver drops the expired instance')
  await until(async () => (await infoNodes(store, 'web'))?.length === 0, ttlMs + 2000, 'deriver drops it by its timer')
  t.ok(Date.now() - started < ttlMs + 1500, 'within the ttl (plus a margin)')
  t.ok(await store.get(instanceKey('web', 'node2')), 'the report itself is still there: nobody deleted it')
})

t.test('a refreshing instance stays past its ttl', async t => {
  const store = openStore(t)
  const { source, resolver } = await setup(t, store)
  const web = await namedServer(t, 'x')
  const a = announceInstance({ source, service: 'web', node: 'node2', ports: { http: web.port }, ttlMs: 600, logger })
  t.teardown(() => a.stop())
  await a.written
  const first = (await store.get(instanceKey('web', 'node2')))!.revision
  await until(async () => (await store.get(instanceKey('web', 'node2')))!.revision > first + 3, 3000, 'several refreshes')
  t.equal(resolver.resolve('web').length, 1, 'still live after more than one ttl')
})

t.test('failover: a refusing local instance is skipped for the remote one, then kept in cooldown', async t => {
  const store = openStore(t)
  const { source, net } = await setup(t, store)
  const good = await namedServer(t, 'good@node2')
  const dead = await closedPort()
  const a1 = announceInstance({ source, service: 'api', node: 'gw', ports: { http: dead }, logger })
  const a2 = announceInstance({ source, service: 'api', node: 'node2', ports: { http: good.port }, logger })
  t.teardown(() => Promise.all([a1.stop(), a2.stop()]))
  await Promise.all([a1.written, a2.written])
  await until(async () => (await infoNodes(store, 'api'))?.length === 2, 5000, 'both in info')

  net.opened.length = 0
  const s = await net.registry.open('service://api/', { signal: signal() })
  t.equal(await readAll(s), 'good@node2')
  t.same(net.opened, [`tcp://127.0.0.1:${dead}`, `rtcp://node2/:${good.port}`], 'local tried first, then failed over')

  net.opened.length = 0
  const s2 = await net.registry.open('service://api/', { signal: signal() })
  t.equal(await readAll(s2), 'good@node2')
  t.same(net.opened, [`rtcp://node2/:${good.port}`], 'the refused instance is in cooldown')
})

t.test('every instance failing gives SVC_ERR_ALL_FAILED; an unknown service SVC_ERR_NO_INSTANCE', async t => {
  const store = openStore(t)
  const { source, resolver, net } = await setup(t, store)
  const a = announceInstance({ source, service: 'db', node: 'gw', ports: { pg: await closedPort() }, logger })
  t.teardown(() => a.stop())
  await a.written
  await until(() => resolver.resolve('db').length === 1)
  await t.rejects(net.registry.open('service://db/', { signal: signal() }), { code: 'SVC_ERR_ALL_FAILED' })
  await t.rejects(net.registry.open('service://db/', { signal: signal() }), { code: 'SVC_ERR_ALL_FAILED' }, 'a lone instance in cooldown is still tried')
  await t.rejects(net.registry.open('service://nothing/', { signal: signal() }), { code: 'SVC_ERR_NO_INSTANCE' })
  await t.rejects(net.registry.open('service://db/other', { signal: signal() }), { code: 'SVC_ERR_NO_INSTANCE' })
  await t.rejects(net.registry.open('service://Bad_Name!/', { signal: signal() }), { code: /ERR/ })
})

t.test('the local instance is preferred over a remote one', async t => {
  const store = openStore(t)
  const { source, resolver, net } = await setup(t, store)
  const here = await namedServer(t, 'here')
  const there = await namedServer(t, 'there')
  const a1 = announceInstance({ source, service: 'web', node: 'node2', ports: { http: there.port }, weight: 100, logger })
  const a2 = announceInstance({ source, service: 'web', node: 'gw', ports: { http: here.port }, weight: 1, logger })
  t.teardown(() => Promise.all([a1.stop(), a2.stop()]))
  await Promise.all([a1.written, a2.written])
  await until(() => resolver.resolve('web').length === 2)
  const order = resolver.resolve('web')
  t.same(order.map(c => c.url), [`tcp://127.0.0.1:${here.port}`, `rtcp://node2/:${there.port}`])
  t.equal(order[0].local, true)
  for (let i = 0; i < 10; i++) t.equal(await readAll(await net.registry.open('service://web/', { signal: signal() })), 'here')
  t.equal(there.hits(), 0, 'the remote instance was never used')
})

t.test('remote instances of equal rank share by weight', async t => {
  const store = openStore(t)
  const source = fromStore(store)
  const resolver = createServiceResolver({ source, localNode: 'gw', logger })
  t.teardown(() => resolver.stop())
  await resolver.ready
  const as = [
    announceInstance({ source, service: 'web', node: 'n1', ports: { http: 1001 }, weight: 3, logger }),
    announceInstance({ source, service: 'web', node: 'n2', ports: { http: 1002 }, weight: 1, logger })
  ]
  t.teardown(() => Promise.all(as.map(a => a.stop())))
  await Promise.all(as.map(a => a.written))
  await until(() => resolver.resolve('web').length === 2)
  let n1 = 0
  for (let i = 0; i < 2000; i++) if (resolver.resolve('web')[0].node === 'n1') n1++
  t.ok(n1 > 1300 && n1 < 1700, `n1 leads about 3/4 of the time (${n1}/2000)`)
})

t.test('two derivers: info is written once per change, not once per deriver', async t => {
  const store = openStore(t)
  const source = fromStore(store)
  const d1 = startInfoDeriver({ source, logger })
  t.teardown(() => d1.stop())
  await d1.ready
  const a = announceInstance({ source, service: 'web', node: 'n1', ports: { http: 1001 }, logger })
  t.teardown(() => a.stop())
  await a.written
  await until(async () => (await infoNodes(store, 'web'))?.length === 1)
  await d1.idle()
  const before = (await store.get(infoKey('web')))!.revision
  const d2 = startInfoDeriver({ source, logger })
  t.teardown(() => d2.stop())
  await d2.ready
  t.equal((await store.get(infoKey('web')))!.revision, before, 'the second deriver found nothing to change')
  // A change with both running: one write of the new set (the loser's tx fails or finds it done).
  const b = announceInstance({ source, service: 'web', node: 'n2', ports: { http: 1002 }, logger })
  t.teardown(() => b.stop())
  await b.written
  await until(async () => (await infoNodes(store, 'web'))?.length === 2)
  await Promise.all([d1.idle(), d2.idle()])
  const events = await store.watch(infoKey('web'), before, { timeoutMs: 0 })
  t.equal(events.events.filter(e => e.key === infoKey('web')).length, 1, 'one info write for the change')
})

t.test('a deriver started late fixes info left stale by instances that vanished meanwhile', async t => {
  const store = openStore(t)
  await store.set(infoKey('old'), JSON.stringify({ instances: [{ node: 'n1', ports: { http: 1 }, weight: 1 }], revision: 1 }))
  const d = startInfoDeriver({ source: fromStore(store), logger })
  t.teardown(() => d.stop())
  await d.ready
  t.same(await infoNodes(store, 'old'), [])
})

t.test('after compaction the resolver reads everything again and keeps up', async t => {
  const store = openStore(t)
  const base = fromStore(store)
  // Like a store that trimmed its history: a watch from before `compactedBelow` is refused.
  let compactedBelow = 0
  let compactions = 0
  const source: DiscoverySource = {
    ...base,
    watch: async (prefix, from, options) => {
      const refuse = (): never => { compactions++; throw new SYSCFG_ERR_COMPACTED(from, compactedBelow) }
      if (from < compactedBelow) refuse()
      const r = await base.watch(prefix, from, options)
      if (from < compactedBelow) refuse() // compacted while this watch waited
      return r
    }
  }
  const resolver = createServiceResolver({ source, localNode: 'gw', logger, watchTimeoutMs: 200 })
  t.teardown(() => resolver.stop())
  await resolver.ready
  // The history from the resolver's revision on is gone, so the change is seen only by a resync.
  compactedBelow = (await store.revision()) + 1
  await store.set(instanceKey('web', 'n1'), JSON.stringify({ state: 'running', ports: { http: 1001 }, weight: 1, expires_at: Date.now() + 60_000 }))
  await until(() => resolver.resolve('web').length === 1, 5000, 'resolver resynced')
  t.ok(compactions >= 1, 'the watch was refused at least once')
  await store.delete(instanceKey('web', 'n1'))
  await until(() => resolver.resolve('web').length === 0, 5000, 'and keeps following the watch')
})

t.test('unusable reports and non-running states are ignored', async t => {
  const store = openStore(t)
  const source = fromStore(store)
  const resolver = createServiceResolver({ source, localNode: 'gw', logger })
  t.teardown(() => resolver.stop())
  await resolver.ready
  await store.set(instanceKey('web', 'bad'), '{"state":"running","ports":{"http":70000},"expires_at":1e15}')
  await store.set(instanceKey('web', 'garbage'), 'not json')
  await store.set(instanceKey('web', 'stopping'), JSON.stringify({ state: 'stopping', ports: { http: 1 }, expires_at: Date.now() + 60_000 }))
  await store.set(instanceKey('web', 'ok'), JSON.stringify({ state: 'running', ports: { http: 2 }, expires_at: Date.now() + 60_000 }))
  await until(() => resolver.resolve('web').length === 1)
  t.same(resolver.resolve('web').map(c => c.node), ['ok'])
})

t.test('a candidate that does not answer within connectTimeoutMs is failed over; aborts are TUN_ERR_ABORTED', async t => {
  const store = openStore(t)
  const source = fromStore(store)
  const resolver = createServiceResolver({ source, localNode: 'gw', logger })
  t.teardown(() => resolver.stop())
  const net = await network(t)
  const good = await namedServer(t, 'good')
  // A black hole: this local instance's connect never completes (it only ends on abort).
  const silent = await closedPort()
  const open = async (url: string, options: { signal: AbortSignal }) => url.endsWith(`:${silent}`)
    ? await new Promise<never>((_resolve, reject) => options.signal.addEventListener('abort', () => reject(options.signal.reason), { once: true }))
    : await net.open(url, options)
  const kind = serviceTunnel({ resolver, open, logger, connectTimeoutMs: 200 })
  await resolver.ready
  const as = [
    announceInstance({ source, service: 'web', node: 'gw', ports: { http: silent }, logger }),
    announceInstance({ source, service: 'web', node: 'node2', ports: { http: good.port }, logger })
  ]
  t.teardown(() => Promise.all(as.map(a => a.stop())))
  await Promise.all(as.map(a => a.written))
  await until(() => resolver.resolve('web').length === 2)
  const started = Date.now()
  t.equal(await readAll(await kind.open(new URL('service://web/'), { signal: signal() })), 'good')
  t.ok(Date.now() - started >= 190, 'waited for the connect timeout before moving on')

  await t.rejects(kind.open(new URL('service://web/'), { signal: AbortSignal.abort() }), { code: 'TUN_ERR_ABORTED' })
  const ac = new AbortController()
  // A fresh tunnel has no cooldown yet, so it tries the black hole first and is aborted there.
  const fresh = serviceTunnel({ resolver, open, logger, connectTimeoutMs: 5000 })
  const pending = fresh.open(new URL('service://web/'), { signal: ac.signal })
  setImmediate(() => ac.abort())
  await t.rejects(pending, { code: 'TUN_ERR_ABORTED' }, 'an abort during a connect ends the open, no failover')
})
