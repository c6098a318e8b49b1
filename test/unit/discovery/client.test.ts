// Discovery through a remote system-config: the real RPC handler on 127.0.0.1, clients signing
// real device JWTs. node1 announces itself with its own token; the gateway on node2 resolves
// and opens service:// through its client; the deriver runs next to the store.
import t from 'tap'
import { silentLogger } from '../../../src/core/logger.ts'
import { fromClient, fromStore } from '../../../src/discovery/source.ts'
import { announceInstance } from '../../../src/discovery/announce.ts'
import { startInfoDeriver } from '../../../src/discovery/deriver.ts'
import { createServiceResolver } from '../../../src/discovery/resolver.ts'
import { serviceTunnel } from '../../../src/discovery/tunnel.ts'
import { infoKey, instanceKey, parseServiceInfo } from '../../../src/discovery/records.ts'
import { startService } from '../sysconfig/service/helpers.ts'
import { namedServer, network, readAll, until } from './helpers.ts'

const logger = silentLogger()

t.test('announce, derive, resolve and open through a SysConfigClient over HTTP', async t => {
  const svc = await startService(t, { historyLimit: 4 })
  const deriver = startInfoDeriver({ source: fromStore(svc.store), logger })
  t.teardown(() => deriver.stop())
  // The gateway runs on "gw" and knows node1's instance as remote: map node1 to the rtcp peer.
  const net = await network(t)
  const resolver = createServiceResolver({ source: fromClient(svc.client(svc.keys.node2)), localNode: 'node2', logger, watchTimeoutMs: 1000 })
  t.teardown(() => resolver.stop())
  net.registry.register(serviceTunnel({
    resolver,
    // Requests for node1 go to the rtcp peer the fixture calls node2: one real rtcp hop.
    open: async (url, options) => await net.open(url.replace('rtcp://node1/', 'rtcp://node2/'), options),
    logger
  }))
  await Promise.all([deriver.ready, resolver.ready])

  const web = await namedServer(t, 'web@node1')
  const local = await namedServer(t, 'web@node2')
  const a = announceInstance({ source: fromClient(svc.client(svc.keys.node1)), service: 'web', node: 'node1', ports: { http: web.port }, logger })
  await a.written
  t.ok(await svc.store.get(instanceKey('web', 'node1')), 'the device wrote its own instance key over RPC')
  const impostor = announceInstance({ source: fromClient(svc.client(svc.keys.node1)), service: 'web', node: 'node2', ports: { http: 1 }, logger })
  await t.rejects(impostor.written, { code: 'SYSCFG_ERR_FORBIDDEN' }, 'but not another node\'s')
  await t.rejects(impostor.stop(), { code: 'SYSCFG_ERR_FORBIDDEN' })

  await until(async () => {
    const e = await svc.store.get(infoKey('web'))
    return e !== undefined && parseServiceInfo(e.value).instances.length === 1
  }, 5000, 'info derived')
  await until(() => resolver.resolve('web').length === 1, 5000, 'remote resolver sees node1')
  t.same(resolver.resolve('web').map(c => c.url), [`rtcp://node1/:${web.port}`])
  t.equal(await readAll(await net.registry.open('service://web/', { signal: AbortSignal.timeout(5000) })), 'web@node1')

  // The local node's own instance comes first.
  const b = announceInstance({ source: fromClient(svc.client(svc.keys.node2)), service: 'web', node: 'node2', ports: { http: local.port }, logger })
  t.teardown(() => b.stop())
  await b.written
  await until(() => resolver.resolve('web').length === 2, 5000, 'both')
  t.same(resolver.resolve('web').map(c => c.url), [`tcp://127.0.0.1:${local.port}`, `rtcp://node1/:${web.port}`])
  t.equal(await readAll(await net.registry.open('service://web/', { signal: AbortSignal.timeout(5000) })), 'web@node2')

  await a.stop()
  await until(() => resolver.resolve('web').length === 1, 5000, 'withdrawn instance dropped')
  t.same(resolver.resolve('web').map(c => c.node), ['node2'])

  // More writes than the history holds while the resolver is parked: it resyncs (COMPACTED).
  for (let i = 0; i < 10; i++) await svc.store.set(`services/other/instances/n${i}`, JSON.stringify({ state: 'running', ports: { http: 1000 + i }, expires_at: Date.now() + 60_000 }))
  await until(() => resolver.resolve('other').length === 10, 5000, 'resolver caught up with all ten')
})
