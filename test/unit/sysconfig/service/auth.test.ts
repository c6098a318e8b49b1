// src/sysconfig/service/auth.ts: who a token names, and which tokens are refused.
import t from 'tap'
import { signJwt } from '../../../../src/identity/jwt.ts'
import { DEFAULT_RULES } from '../../../../src/sysconfig/rules.ts'
import { createSysConfigAuth } from '../../../../src/sysconfig/service/auth.ts'
import { makeKey, ZONE, type TestKey } from './helpers.ts'

const owner = makeKey()
const node1 = makeKey()
const bare = makeKey()
const issuer = makeKey()
const stranger = makeKey()
let devices: Array<string | { name: string, did: string }> = [{ name: 'node1', did: node1.did }, bare.did]
const auth = createSysConfigAuth({ zone: ZONE, owner: owner.did, devices: () => devices, issuers: [issuer.did], rules: DEFAULT_RULES, maxTtlSeconds: 3600 })

const sign = (key: TestKey, claims: Record<string, unknown> = {}, options: { subject?: string, audience?: string, ttlSeconds?: number } = {}): Promise<string> =>
  signJwt(key, claims, { audience: options.audience ?? ZONE, ttlSeconds: options.ttlSeconds ?? 300, subject: options.subject })

t.test('principals', async t => {
  t.same(await auth.authenticate(await sign(owner)), { kind: 'root' }, 'the owner key is root')
  t.same(await auth.authenticate(await sign(owner, {}, { subject: 'bob' })), { kind: 'root' }, 'whatever sub it sets')
  t.same(await auth.authenticate(await sign(node1)), { kind: 'device', name: 'node1' }, 'a device by its name')
  t.same(await auth.authenticate(await sign(bare)), { kind: 'device', name: bare.did }, 'a device listed by did only')
  t.same(await auth.authenticate(await sign(issuer, {}, { subject: 'bob' })), { kind: 'user', id: 'bob' }, 'an issuer token names its user')
  t.same(await auth.authenticate(await sign(issuer, {}, { subject: 'root' })), { kind: 'root' })
  t.same(await auth.authenticate(await sign(issuer, { app: 'photos' }, { subject: 'bob' })), { kind: 'app', id: 'photos', user: 'bob' })
  t.same(await auth.authenticate(await sign(owner, { app: 'photos' })), { kind: 'app', id: 'photos', user: 'root' })
})

t.test('refused tokens', async t => {
  const cases: Array<[string, unknown]> = [
    ['no token', undefined],
    ['empty token', ''],
    ['not a token', 'abc.def.ghi'],
    ['a number', 42],
    ['untrusted signer', await sign(stranger)],
    ['wrong audience', await sign(owner, {}, { audience: 'bob.sn.test' })],
    ['too long a lifetime', await sign(owner, {}, { ttlSeconds: 7200 })],
    ['issuer token without sub', await sign(issuer)],
    ['device token with an app claim', await sign(node1, { app: 'photos' })],
    ['bad app claim', await sign(owner, { app: 'a/b' })],
    ['bad sub', await sign(issuer, {}, { subject: '../x' })]
  ]
  for (const [name, token] of cases) await t.rejects(auth.authenticate(token), { code: 'SYSCFG_ERR_AUTH' }, name)
  const tampered = (await sign(owner)).split('.')
  tampered[1] = Buffer.from(JSON.stringify({ iss: owner.did, aud: ZONE, iat: 1, exp: 9e9 })).toString('base64url')
  await t.rejects(auth.authenticate(tampered.join('.')), { code: 'SYSCFG_ERR_AUTH' }, 'a forged payload')
})

t.test('the device list is read on every call', async t => {
  const token = await sign(node1)
  t.same(await auth.authenticate(token), { kind: 'device', name: 'node1' })
  devices = []
  t.teardown(() => { devices = [{ name: 'node1', did: node1.did }, bare.did] })
  await t.rejects(auth.authenticate(token), { code: 'SYSCFG_ERR_AUTH' }, 'a removed device is refused at once')
})

t.test('check', async t => {
  t.doesNotThrow(() => auth.check({ kind: 'device', name: 'node1' }, 'services/a/instances/node1', 'write'))
  t.throws(() => auth.check({ kind: 'device', name: 'node1' }, 'services/a/instances/node2', 'write'), { code: 'SYSCFG_ERR_FORBIDDEN' })
})
