// The in-memory views of system-config prefixes (apps, enrolled devices) and the owner-signed
// device documents they read: a snapshot first, then changes by watch; bad entries are ignored.
import t from 'tap'
import { openSqliteStore } from '../../../src/sysconfig/store/sqlite.ts'
import { fromStore } from '../../../src/discovery/index.ts'
import { startPrefixView } from '../../../src/gateway/prefix-view.ts'
import { startAppsView } from '../../../src/gateway/zone-apps.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { DEVICE_NAME, deviceDocKey, readDeviceDoc, signDeviceDoc } from '../../../src/sysconfig/device-doc.ts'
import { signJwt } from '../../../src/identity/jwt.ts'
import { makeKey } from '../../helpers/keys.ts'

const ZONE = 'home.test'

async function eventually (check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) return false
    await new Promise(resolve => setTimeout(resolve, 10))
  }
  return true
}

t.test('device docs: the owner signs, the reader checks signer, zone, name, purpose and did', async t => {
  const owner = makeKey()
  const laptop = makeKey()
  const doc = await signDeviceDoc(owner, ZONE, { name: 'laptop', did: laptop.did })
  t.equal(await readDeviceDoc(doc, { zone: ZONE, owner: owner.did, name: 'laptop' }), laptop.did)
  const code = { code: 'SYSCFG_ERR_BAD_DEVICE_DOC' }
  await t.rejects(readDeviceDoc(doc, { zone: ZONE, owner: laptop.did, name: 'laptop' }), code, 'another owner')
  await t.rejects(readDeviceDoc(doc, { zone: 'other.test', owner: owner.did, name: 'laptop' }), code, 'another zone')
  await t.rejects(readDeviceDoc(doc, { zone: ZONE, owner: owner.did, name: 'phone' }), code, 'stored under another name')
  const token = await signJwt(owner, { name: 'laptop', did: laptop.did }, { audience: ZONE, ttlSeconds: 60 })
  await t.rejects(readDeviceDoc(token, { zone: ZONE, owner: owner.did, name: 'laptop' }), code, 'an owner token is not a device doc')
  const noDid = await signJwt(owner, { purpose: 'zone-device', name: 'laptop', did: 'did:dev:x' }, { audience: ZONE, ttlSeconds: 60 })
  await t.rejects(readDeviceDoc(noDid, { zone: ZONE, owner: owner.did, name: 'laptop' }), code, 'a bad did')
  await t.rejects(readDeviceDoc('not a jwt', { zone: ZONE, owner: owner.did, name: 'laptop' }), code)
  await t.rejects(signDeviceDoc(owner, ZONE, { name: 'Bad/Name', did: laptop.did }), code, 'names are one plain segment')
  await t.rejects(signDeviceDoc(owner, ZONE, { name: 'ok', did: 'did:dev:nope' }), code)
})

t.test('a prefix view: snapshot, then puts and deletes by watch; bad values are ignored', async t => {
  const owner = makeKey()
  const [a, b] = [makeKey(), makeKey()]
  const store = openSqliteStore({ file: ':memory:' })
  t.teardown(() => store.close())
  await store.set(deviceDocKey('a'), await signDeviceDoc(owner, ZONE, { name: 'a', did: a.did }))
  await store.set(deviceDocKey('forged'), await signDeviceDoc(makeKey(), ZONE, { name: 'forged', did: b.did }))
  await store.set('devices/a/info', '{"not":"a doc"}')
  const view = startPrefixView(fromStore(store), {
    prefix: 'devices/', leaf: 'doc', name: DEVICE_NAME, what: 'devices',
    parse: async (name, text) => await readDeviceDoc(text, { zone: ZONE, owner: owner.did, name })
  }, silentLogger())
  t.teardown(() => view.stop())
  await view.ready
  t.same([...view.entries()], [['a', a.did]], 'the snapshot holds the valid doc only')
  await store.set(deviceDocKey('b'), await signDeviceDoc(owner, ZONE, { name: 'b', did: b.did }))
  t.ok(await eventually(() => view.get('b') === b.did), 'a new doc arrives by watch')
  await store.delete(deviceDocKey('a'))
  t.ok(await eventually(() => view.get('a') === undefined), 'a deleted doc leaves')
  await store.set(deviceDocKey('b'), 'garbage')
  t.ok(await eventually(() => view.get('b') === undefined), 'a doc overwritten with garbage leaves')
})

t.test('the apps view on the same machinery', async t => {
  const store = openSqliteStore({ file: ':memory:' })
  t.teardown(() => store.close())
  await store.set('apps/files/spec', '{"service":"files","private":false}')
  await store.set('apps/bad/spec', '{"service":"Not Valid"}')
  const apps = startAppsView(fromStore(store), silentLogger())
  t.teardown(() => apps.stop())
  await apps.ready
  t.same(apps.lookup('files'), { service: 'files', private: false })
  t.equal(apps.lookup('bad'), undefined)
  await store.set('apps/wiki/spec', '{"service":"wiki"}')
  t.ok(await eventually(() => apps.lookup('wiki')?.private === true), 'private unless it says otherwise')
})
