// The conformance suite against the etcd backend, on a real etcd (Debian etcd-server) started
// for this file. Each store gets its own key prefix in the one etcd.
import t from 'tap'
import { Etcd3 } from 'etcd3'
import { openEtcdStore } from '../../../../src/sysconfig/store/etcd.ts'
import { startEtcd } from '../../../helpers/etcd.ts'
import { openSqliteStore } from '../../../../src/sysconfig/store/sqlite.ts'
import { conformance } from './conformance.ts'
import { crossBackendProperty } from './model.ts'

const etcd = await startEtcd()
t.teardown(() => etcd.stop())
const admin = new Etcd3({ hosts: etcd.endpoint })
t.teardown(() => admin.close())
let n = 0

conformance(t, 'etcd', async () => await openEtcdStore({ endpoints: [etcd.endpoint], prefix: `t${n++}/` }), {
  async compact (store) {
    await store.set('compact/filler', 'x')
    await admin.kv.compact({ revision: await store.revision(), physical: true })
  }
})

t.test('etcd and sqlite: random sequences give the same answers and the same history', async t => {
  const runs = await crossBackendProperty(
    async () => openSqliteStore({ file: ':memory:' }),
    async () => await openEtcdStore({ endpoints: [etcd.endpoint], prefix: `x${n++}/` }))
  t.ok(runs > 0, `${runs} random sequences agreed`)
})

t.test('etcd: keys live under the prefix, invisible to other prefixes', async t => {
  const a = await openEtcdStore({ endpoints: [etcd.endpoint], prefix: 'iso-a/' })
  const b = await openEtcdStore({ endpoints: [etcd.endpoint], prefix: 'iso-b/' })
  t.teardown(async () => { await a.close(); await b.close() })
  const r = await a.set('k', 'v')
  t.equal(await b.get('k'), undefined)
  t.same(await b.list(''), [])
  t.equal(await admin.get('iso-a/k').string(), 'v', 'stored as prefix + key')
  t.same((await a.watch('', r - 1, { timeoutMs: 0 })).events, [{ type: 'put', key: 'k', value: 'v', revision: r }], 'events show the key without the prefix')
})

t.test('etcd: a write racing a tx makes the tx retry, not lose the write', async t => {
  const s = await openEtcdStore({ endpoints: [etcd.endpoint], prefix: 'race/' })
  t.teardown(() => s.close())
  await Promise.all(Array.from({ length: 20 }, async (_, i) => await s.append('log', String.fromCharCode(97 + i))))
  const value = (await s.get('log'))?.value ?? ''
  t.equal([...value].sort().join(''), 'abcdefghijklmnopqrst', 'twenty concurrent appends all landed')
})

t.test('etcd: a tx over the server\'s --max-txn-ops is refused before it is sent', async t => {
  const s = await openEtcdStore({ endpoints: [etcd.endpoint], prefix: 'ops/', maxTxnOps: 128 })
  t.teardown(() => s.close())
  const actions = Array.from({ length: 129 }, (_, i) => ({ op: 'set' as const, key: `k${i}`, value: 'v' }))
  await t.rejects(s.tx(actions), { code: 'SYSCFG_ERR_BAD_TX' })
  t.equal((await s.tx(actions.slice(1))).ok, true, '128 keys fit')
  t.same((await s.list('')).length, 128)
})

t.test('etcd: an unreachable endpoint fails with a coded error', async t => {
  const { closedPort } = await import('../../../helpers/free-port.ts')
  const port = await closedPort()
  await t.rejects(openEtcdStore({ endpoints: [`http://127.0.0.1:${port}`] }), { code: 'SYSCFG_ERR_BACKEND' })
})
