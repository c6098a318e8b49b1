// Session tokens against their consumers: the local check, and system-config's auth, which
// accepts a token issuer's tokens (sub = user) — the hub's did is that issuer.
import t from 'tap'
import { signJwt } from '../../../src/identity/jwt.ts'
import { createSysConfigAuth } from '../../../src/sysconfig/service/auth.ts'
import { DEFAULT_RULES } from '../../../src/sysconfig/rules.ts'
import { signSessionToken, verifySessionToken } from '../../../src/verify-hub/session-token.ts'
import { ZONE, makeKey } from './helpers.ts'

const hub = makeKey()
const owner = makeKey()

t.test('round trip and claims', async t => {
  const token = await signSessionToken(hub, ZONE, { user: 'bob', app: 'photos', sid: 'S1' }, 900)
  const s = await verifySessionToken(token, { hubDid: hub.did, zone: ZONE })
  t.same({ ...s, exp: 0 }, { user: 'bob', app: 'photos', sid: 'S1', exp: 0 })
  t.ok(s.exp > Date.now() / 1000 + 890)
})

t.test('what is not a session token', async t => {
  // Signed by the hub, right audience, but not typ session (e.g. some other hub-signed JWT).
  const other = await signJwt(hub, {}, { audience: ZONE, ttlSeconds: 60, subject: 'bob' })
  await t.rejects(verifySessionToken(other, { hubDid: hub.did, zone: ZONE }), { code: 'VHUB_ERR_SESSION_INVALID' })
  const noSub = await signJwt(hub, { typ: 'session' }, { audience: ZONE, ttlSeconds: 60 })
  await t.rejects(verifySessionToken(noSub, { hubDid: hub.did, zone: ZONE }), { code: 'VHUB_ERR_SESSION_INVALID' })
  const byOwner = await signJwt(owner, { typ: 'session' }, { audience: ZONE, ttlSeconds: 60, subject: 'root' })
  await t.rejects(verifySessionToken(byOwner, { hubDid: hub.did, zone: ZONE }), { code: 'VHUB_ERR_SESSION_INVALID' }, 'signed by someone else')
  await t.rejects(verifySessionToken('', { hubDid: hub.did, zone: ZONE }), { code: 'VHUB_ERR_SESSION_INVALID' })
})

t.test('system-config accepts a session token as its user or app', async t => {
  const auth = createSysConfigAuth({ zone: ZONE, owner: owner.did, devices: () => [], issuers: [hub.did], rules: DEFAULT_RULES })
  t.same(await auth.authenticate(await signSessionToken(hub, ZONE, { user: 'bob', sid: 'S' }, 900)), { kind: 'user', id: 'bob' })
  t.same(await auth.authenticate(await signSessionToken(hub, ZONE, { user: 'root', sid: 'S' }, 900)), { kind: 'root' })
  t.same(await auth.authenticate(await signSessionToken(hub, ZONE, { user: 'bob', app: 'photos', sid: 'S' }, 900)), { kind: 'app', id: 'photos', user: 'bob' })
})
