// src/sysconfig/service/handler.ts end to end: node:http + the sqlite store + real EdDSA tokens,
// driven by the client (src/sysconfig/client.ts) and by raw HTTP.
import t from 'tap'
import fc from 'fast-check'
import { startService, until } from './helpers.ts'
import { withinTime } from '../../../helpers/within-time.ts'
import { hostileJson } from '../../../helpers/hostile-json.ts'

t.test('every method, as root', async t => {
  const svc = await startService(t)
  const root = svc.client(svc.keys.owner)
  const r1 = await root.create('boot/config', '{"a":1}')
  t.equal(r1, 1)
  await t.rejects(root.create('boot/config', 'x'), { code: 'SYSCFG_ERR_EXISTS' }, 'store errors keep their code')
  t.same(await root.get('boot/config'), { value: '{"a":1}', revision: 1 })
  t.equal(await root.get('nope'), undefined)
  const r2 = await root.set('users/bob/settings', 'x')
  t.ok(r2 > r1)
  const r3 = await root.append('users/bob/settings', 'y')
  t.same(await root.get('users/bob/settings'), { value: 'xy', revision: r3 })
  const r4 = await root.setByJsonPath('boot/config', '$.b.c', [1, 2])
  t.same(JSON.parse((await root.get('boot/config'))!.value), { a: 1, b: { c: [1, 2] } })
  t.same(await root.list(''), ['boot', 'users'])
  t.same(await root.list('users'), ['bob'])
  t.same(await root.list('users/bob/'), ['settings'])
  const r5 = await root.delete('users/bob/settings')
  t.ok(r5! > r4)
  t.equal(await root.delete('users/bob/settings'), undefined, 'deleting an absent key')
  const tx = await root.tx([{ op: 'set', key: 'a/1', value: '1' }, { op: 'create', key: 'a/2', value: '2' }])
  t.same(tx, { ok: true, revision: r5! + 1 }, 'a tx is one revision')
  const w = await root.watch('a/', r5!, { timeoutMs: 0 })
  t.same(w, {
    revision: r5! + 1,
    events: [{ type: 'put', key: 'a/1', value: '1', revision: r5! + 1 }, { type: 'put', key: 'a/2', value: '2', revision: r5! + 1 }]
  })
  t.same(await root.watch('a/', w.revision, { timeoutMs: 20 }), { events: [], revision: w.revision }, 'a watch times out empty')
})

t.test('tx compare-and-set', async t => {
  const svc = await startService(t)
  const root = svc.client(svc.keys.owner)
  const rev = await root.set('services/web/spec', 'v1')
  const failed = await root.tx([{ op: 'set', key: 'services/web/spec', value: 'v2' }, { op: 'set', key: 'other', value: 'x' }], ['services/web/spec', rev + 7])
  t.equal(failed.ok, false, 'a stale revision fails the compare')
  t.same(await root.get('services/web/spec'), { value: 'v1', revision: rev }, 'and nothing is applied')
  t.equal(await root.get('other'), undefined)
  t.equal(await svc.store.revision(), rev)
  const absent = await root.tx([{ op: 'create', key: 'lock', value: 'me' }], ['lock', 0])
  t.equal(absent.ok, true, 'revision 0 means "must not exist"')
  t.equal((await root.tx([{ op: 'set', key: 'lock', value: 'you' }], ['lock', 0])).ok, false)
  const ok = await root.tx([{ op: 'set', key: 'services/web/spec', value: 'v2' }], ['services/web/spec', rev])
  t.equal(ok.ok, true)
  t.equal((await root.get('services/web/spec'))!.value, 'v2')
})

t.test('auth failures change nothing', async t => {
  const svc = await startService(t)
  const root = svc.client(svc.keys.owner)
  await root.set('boot/config', 'original')
  const before = await svc.store.revision()
  const clients = [
    svc.client(svc.keys.stranger),
    svc.client(svc.keys.issuer), // an issuer token without sub names nobody
    (await import('../../../../src/sysconfig/client.ts')).createSysConfigClient({ url: svc.url, token: () => '' }),
    (await import('../../../../src/sysconfig/client.ts')).createSysConfigClient({ url: svc.url, token: () => svc.token(svc.keys.owner, {}, undefined, 'bob.sn.test') })
  ]
  for (const [i, c] of clients.entries()) {
    await t.rejects(c.set('boot/config', 'evil'), { code: 'SYSCFG_ERR_AUTH' }, `client ${i}: set`)
    await t.rejects(c.tx([{ op: 'delete', key: 'boot/config' }]), { code: 'SYSCFG_ERR_AUTH' }, `client ${i}: tx`)
    await t.rejects(c.get('boot/config'), { code: 'SYSCFG_ERR_AUTH' }, `client ${i}: get`)
    await t.rejects(c.watch('', 0, { timeoutMs: 0 }), { code: 'SYSCFG_ERR_AUTH' }, `client ${i}: watch`)
  }
  t.equal(await svc.store.revision(), before, 'no revision was made')
  t.equal((await svc.store.get('boot/config'))!.value, 'original')
})

t.test('rules: devices, apps, users, secrets', async t => {
  const svc = await startService(t)
  const root = svc.client(svc.keys.owner)
  const node1 = svc.client(svc.keys.node1)
  const photos = svc.client(svc.keys.issuer, { app: 'photos' }, 'bob')
  const bob = svc.client(svc.keys.issuer, {}, 'bob')
  await root.set('system/verify-hub/key', 'SECRET')
  await root.set('services/web/spec', 'spec')

  await node1.set('services/web/instances/node1', '{"port":1}')
  await t.rejects(node1.set('services/web/instances/node2', 'x'), { code: 'SYSCFG_ERR_FORBIDDEN' }, 'not another node\'s instance')
  await t.rejects(node1.set('services/web/spec', 'x'), { code: 'SYSCFG_ERR_FORBIDDEN' })
  await node1.set('devices/node1/info', '{}')
  await node1.set('nodes/node1/config', '{}')
  t.equal((await node1.get('services/web/spec'))!.value, 'spec', 'devices read')
  await t.rejects(node1.get('system/verify-hub/key'), { code: 'SYSCFG_ERR_FORBIDDEN' }, 'secrets are root\'s')
  const before = await svc.store.revision()
  await t.rejects(node1.tx([{ op: 'set', key: 'services/web/instances/node1', value: 'ok' }, { op: 'set', key: 'services/web/instances/node2', value: 'no' }]),
    { code: 'SYSCFG_ERR_FORBIDDEN' }, 'a tx needs write on every key')
  t.equal(await svc.store.revision(), before, 'and nothing of it is applied')
  t.equal((await root.get('services/web/instances/node1'))!.value, '{"port":1}')

  t.same(await photos.list('services/'), ['web'])
  await t.rejects(photos.set('services/web/spec', 'x'), { code: 'SYSCFG_ERR_FORBIDDEN' })
  await photos.set('apps/photos/settings', 'dark')
  await t.rejects(photos.set('apps/music/settings', 'x'), { code: 'SYSCFG_ERR_FORBIDDEN' })
  await t.rejects(photos.get('devices/node1/info'), { code: 'SYSCFG_ERR_FORBIDDEN' })
  await t.rejects(photos.watch('', 0, { timeoutMs: 0 }), { code: 'SYSCFG_ERR_FORBIDDEN' }, 'watch is a read of its prefix')
  await t.rejects(bob.get('services/web/spec'), { code: 'SYSCFG_ERR_FORBIDDEN' }, 'plain users: nothing by default')
  t.equal((await svc.client(svc.keys.issuer, {}, 'root').get('system/verify-hub/key'))!.value, 'SECRET', 'an issuer token for root')

  const seen = await node1.watch('system/', 0, { timeoutMs: 0 })
  t.same(seen.events, [], 'a watch does not leak keys the caller may not read')
  t.equal(seen.revision, await svc.store.revision(), 'but its revision still advances')
})

t.test('a watch wakes on a set from another client', async t => {
  const svc = await startService(t)
  const root = svc.client(svc.keys.owner)
  const node2 = svc.client(svc.keys.node2)
  const from = await root.set('services/web/spec', 'v1')
  const started = Date.now()
  const waiting = node2.watch('services/', from, { timeoutMs: 30_000 })
  // The watch is parked server-side (nothing newer than `from` exists yet) until this set.
  await root.set('services/web/spec', 'v2')
  const { events, revision } = await waiting
  t.same(events, [{ type: 'put', key: 'services/web/spec', value: 'v2', revision: from + 1 }])
  t.equal(revision, from + 1)
  t.ok(Date.now() - started < 10_000, 'woken by the write, not by the timeout')
})

t.test('a caller hanging up ends its watch on the server', async t => {
  const svc = await startService(t, { maxWatches: 1 })
  const root = svc.client(svc.keys.owner)
  const park = (): { ac: AbortController, parked: Promise<unknown>, settled: () => boolean } => {
    const ac = new AbortController()
    const parked = root.watch('a/', 0, { timeoutMs: 60_000, signal: ac.signal })
    let done = false
    parked.then(() => { done = true }, () => { done = true })
    return { ac, parked, settled: () => done }
  }
  let cur = park()
  // The one watcher slot is taken while the long watch waits. Requests race to the server: a
  // probe may take the slot first and the long watch be refused; then it is sent again. A probe
  // refused means the long watch holds the slot (probes end before they answer).
  await until(async () => {
    if (cur.settled()) { cur = park(); return false }
    const err = await root.watch('b/', 0, { timeoutMs: 1 }).then(() => undefined, (e: unknown) => e)
    return (err as { code?: string } | undefined)?.code === 'SYSCFG_ERR_TOO_MANY_WATCHES'
  })
  cur.ac.abort()
  await t.rejects(cur.parked, { code: 'SYSCFG_ERR_TRANSPORT' }, 'the aborted call fails locally')
  // The server sees the connection close, aborts the store watch and frees the slot.
  await until(async () => {
    const err = await root.watch('b/', 0, { timeoutMs: 1 }).then(() => undefined, (e: unknown) => e)
    return err === undefined
  })
  t.pass('the slot is free again')
})

t.test('the server caps how long a watch waits', async t => {
  const svc = await startService(t, { maxWatchMs: 50 })
  const root = svc.client(svc.keys.owner)
  const started = Date.now()
  t.same(await root.watch('', 0, { timeoutMs: 60_000 }), { events: [], revision: 0 })
  t.ok(Date.now() - started < 10_000)
})

t.test('compacted history is a coded error with the revisions to resync from', async t => {
  const svc = await startService(t, { historyLimit: 2 })
  const root = svc.client(svc.keys.owner)
  for (let i = 0; i < 6; i++) await root.set(`k/${i}`, String(i))
  const err = await root.watch('k/', 0, { timeoutMs: 0 }).catch((e: unknown) => e) as { code?: string, oldestRevision?: number, currentRevision?: number }
  t.equal(err.code, 'SYSCFG_ERR_COMPACTED')
  t.type(err.oldestRevision, 'number')
  t.ok(err.oldestRevision! > 0)
  t.equal(err.currentRevision, 6)
})

t.test('malformed HTTP', async t => {
  const svc = await startService(t, { maxBodyBytes: 1024 })
  const token = await svc.token(svc.keys.owner)
  const get = await svc.post('', { method: 'GET' })
  t.equal(get.status, 405)
  t.equal(get.body.error.code, 'SYSCFG_ERR_HTTP_METHOD')
  for (const body of ['{', 'null', '[1]', '"x"', '12', '\xff']) {
    const r = await svc.post(body)
    t.equal(r.status, 400, JSON.stringify(body))
    t.equal(r.body.error.code, 'SYSCFG_ERR_BAD_JSON')
    t.same(r.body.sys, [null])
  }
  const big = await svc.post(JSON.stringify({ method: 'sys_config_set', params: { key: 'a', value: 'x'.repeat(2000) }, sys: [1, token] }))
  t.equal(big.status, 413)
  t.equal(big.body.error.code, 'SYSCFG_ERR_BODY_TOO_LARGE')
  t.equal(await svc.store.revision(), 0)

  const env = await svc.post(JSON.stringify({ method: 'sys_config_get', params: { key: 'a' } }))
  t.equal(env.status, 200)
  t.equal(env.body.error.code, 'SYSCFG_ERR_BAD_ENVELOPE')
  const unknown = await svc.post(JSON.stringify({ method: 'sys_config_drop', params: {}, sys: [41, token] }))
  t.same(unknown, { status: 200, body: { error: { code: 'SYSCFG_ERR_UNKNOWN_METHOD', message: 'unknown method "sys_config_drop"' }, sys: [41] } })
  const ok = await svc.post(JSON.stringify({ method: 'sys_config_get', params: { key: 'a' }, sys: [42, token] }))
  t.same(ok, { status: 200, body: { result: null, sys: [42] } })
  const noToken = await svc.post(JSON.stringify({ method: 'sys_config_set', params: { key: 'a', value: 'b' }, sys: [43] }))
  t.equal(noToken.body.error.code, 'SYSCFG_ERR_AUTH')
})

t.test('random JSON bodies give coded answers, never a crash, and change nothing', async t => {
  const svc = await startService(t)
  const token = await svc.token(svc.keys.node1)
  const body = fc.oneof(
    hostileJson,
    fc.record({
      method: fc.oneof(hostileJson, fc.constantFrom('sys_config_get', 'sys_config_set', 'sys_config_exec_tx', 'sys_config_watch', 'sys_config_list', 'sys_config_set_by_json_path'), fc.string()),
      params: fc.oneof(hostileJson, fc.record({ key: fc.oneof(fc.constantFrom('services/web/spec', 'a', ''), fc.string(), hostileJson), value: hostileJson, prefix: fc.oneof(fc.string(), hostileJson), revision: hostileJson, path: hostileJson, timeout_ms: fc.constant(0), actions: hostileJson, compare: hostileJson }, { requiredKeys: [] })),
      sys: fc.oneof(fc.constant([1, token]), hostileJson, fc.tuple(hostileJson, hostileJson))
    }, { requiredKeys: [] })
  )
  let calls = 0
  await fc.assert(fc.asyncProperty(body, withinTime(4000, async b => {
    calls++
    const r = await svc.post(JSON.stringify(b))
    if (r.status === 400) return r.body.error.code === 'SYSCFG_ERR_BAD_JSON'
    if (r.status !== 200) return false
    if (r.body.error !== undefined) return /^SYSCFG_ERR_[A-Z_]+$/.test(r.body.error.code) && r.body.error.code !== 'SYSCFG_ERR_INTERNAL'
    return 'result' in r.body
  })), { numRuns: 100_000 })
  t.ok(calls > 10, `${calls} bodies`)
  const check = await svc.client(svc.keys.owner).list('')
  t.ok(check.every(name => name === 'services' || name === 'nodes' || name === 'devices'), 'a device could only write its own keys')
})
