// src/verify-hub end to end: node:http on loopback, real Ed25519 keys, real EdDSA tokens.
import t from 'tap'
import { signJwt } from '../../../src/identity/jwt.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { createVerifyHub, verifySessionToken } from '../../../src/verify-hub/index.ts'
import { ZONE, makeKey, memoryKeys, startHub } from './helpers.ts'

t.test('login → verify → refresh rotates → reusing the old token revokes the login', async t => {
  const h = await startHub(t)
  const login = await h.call('login_by_jwt', { jwt: await h.loginJwt(h.device) })
  t.equal(login.status, 200)
  const pair = login.body.result
  t.equal(pair.user, 'bob', 'the device maps to its user')
  t.equal(pair.expires_in, 900)
  t.match(pair.refresh_token, /^[A-Za-z0-9_-]{43}$/, '256-bit opaque refresh token')

  const v = await h.call('verify', { session_token: pair.session_token })
  t.same(v.body.result, { valid: true, user: 'bob', expires_at: v.body.result.expires_at })
  t.ok(v.body.result.expires_at > Date.now() / 1000 + 800)
  const local = await verifySessionToken(pair.session_token, { hubDid: h.hub.did, zone: ZONE })
  t.equal(local.user, 'bob', 'a gateway checks the cookie locally too')
  await t.rejects(verifySessionToken(pair.session_token, { hubDid: h.hub.did, zone: 'bob.sn.test' }), { code: 'VHUB_ERR_SESSION_INVALID' }, 'other zone')
  await t.rejects(verifySessionToken(pair.session_token, { hubDid: h.device.did, zone: ZONE }), { code: 'VHUB_ERR_SESSION_INVALID' }, 'other issuer')

  const r1 = await h.call('refresh', { refresh_token: pair.refresh_token })
  const pair2 = r1.body.result
  t.equal(pair2.user, 'bob')
  t.not(pair2.refresh_token, pair.refresh_token, 'rotated')
  t.equal((await h.call('verify', { session_token: pair2.session_token })).body.result.valid, true)

  // The old token again: reuse. The whole login goes, including the token just issued.
  const reuse = await h.call('refresh', { refresh_token: pair.refresh_token })
  t.equal(reuse.body.error.code, 'VHUB_ERR_REFRESH_REUSED')
  const after = await h.call('refresh', { refresh_token: pair2.refresh_token })
  t.equal(after.body.error.code, 'VHUB_ERR_REFRESH_UNKNOWN', 'the new refresh token is revoked too')
  const sv = await h.call('verify', { session_token: pair2.session_token })
  t.same(sv.body.result, { valid: false, reason: 'VHUB_ERR_SESSION_REVOKED' }, 'and the hub no longer vouches for its sessions')
})

t.test('refresh: one-time; a fresh login is unaffected by another login being revoked', async t => {
  const h = await startHub(t)
  const a = (await h.call('login_by_jwt', { jwt: await h.loginJwt(h.owner) })).body.result
  const b = (await h.call('login_by_jwt', { jwt: await h.loginJwt(h.owner) })).body.result
  t.equal(a.user, 'root', 'the owner is root')
  const a2 = (await h.hub.refresh(a.refresh_token))
  await t.rejects(h.hub.refresh(a.refresh_token), { code: 'VHUB_ERR_REFRESH_REUSED' })
  await t.rejects(h.hub.refresh(a2.refresh_token), { code: 'VHUB_ERR_REFRESH_UNKNOWN' })
  const b2 = await h.hub.refresh(b.refresh_token)
  t.equal((await h.hub.verify(b2.session_token)).valid, true, 'login b lives on')
  // Two concurrent refreshes of one token: exactly one wins.
  const results = await Promise.allSettled([h.hub.refresh(b2.refresh_token), h.hub.refresh(b2.refresh_token)])
  t.equal(results.filter(r => r.status === 'fulfilled').length, 1)
  t.equal(results.filter(r => r.status === 'rejected' && (r.reason as { code?: string }).code === 'VHUB_ERR_REFRESH_REUSED').length, 1)
  await t.rejects(h.hub.refresh('x'.repeat(43)), { code: 'VHUB_ERR_REFRESH_UNKNOWN' }, 'a well-formed guess')
  await t.rejects(h.hub.refresh('short'), { code: 'VHUB_ERR_REFRESH_UNKNOWN' })
  t.equal((await h.call('refresh', { refresh_token: 42 })).body.error.code, 'VHUB_ERR_BAD_PARAMS')
})

t.test('logout revokes the login', async t => {
  const h = await startHub(t)
  const p = (await h.call('login_by_jwt', { jwt: await h.loginJwt(h.device) })).body.result
  const p2 = await h.hub.refresh(p.refresh_token)
  t.same((await h.call('logout', { refresh_token: p2.refresh_token })).body.result, { revoked: true })
  t.equal((await h.call('refresh', { refresh_token: p2.refresh_token })).body.error.code, 'VHUB_ERR_REFRESH_UNKNOWN')
  t.equal((await h.hub.verify(p.session_token)).valid, false, 'sessions of the login end')
  t.equal((await h.hub.verify(p2.session_token)).valid, false)
  t.same((await h.call('logout', { refresh_token: p2.refresh_token })).body.result, { revoked: false }, 'twice is harmless')
})

t.test('app claim passes through', async t => {
  const h = await startHub(t)
  const p = (await h.call('login_by_jwt', { jwt: await h.loginJwt(h.device, { app: 'photos' }) })).body.result
  t.equal(p.app, 'photos')
  t.same((await h.call('verify', { session_token: p.session_token })).body.result, { valid: true, user: 'bob', app: 'photos', expires_at: (await verifySessionToken(p.session_token, { hubDid: h.hub.did, zone: ZONE })).exp })
  const p2 = await h.hub.refresh(p.refresh_token)
  t.equal(p2.app, 'photos', 'kept across refresh')
  t.equal((await verifySessionToken(p2.session_token, { hubDid: h.hub.did, zone: ZONE })).app, 'photos')
  const bad = await h.call('login_by_jwt', { jwt: await h.loginJwt(h.device, { app: '../etc' }) })
  t.equal(bad.body.error.code, 'VHUB_ERR_LOGIN_TOKEN')
})

t.test('expired sessions and refresh tokens (injected clock)', async t => {
  let clock = Date.parse('2026-11-21T12:00:00Z')
  const now = (): number => clock
  const h = await startHub(t, { now, sessionTtlSeconds: 600, refreshTtlSeconds: 3600 })
  const p = (await h.call('login_by_jwt', { jwt: await h.loginJwt(h.device) })).body.result
  t.equal(p.expires_in, 600)
  t.equal((await h.hub.verify(p.session_token)).valid, true)
  clock += 601_000
  t.same(await h.hub.verify(p.session_token), { valid: false, reason: 'VHUB_ERR_SESSION_EXPIRED' }, 'the hub allows no skew on its own tokens')
  t.same((await h.call('verify', { session_token: p.session_token })).body.result, { valid: false, reason: 'VHUB_ERR_SESSION_EXPIRED' })
  await t.rejects(verifySessionToken(p.session_token, { hubDid: h.hub.did, zone: ZONE, now: () => clock + 30_000 }), { code: 'VHUB_ERR_SESSION_EXPIRED' })
  const p2 = await h.hub.refresh(p.refresh_token)
  t.equal((await h.hub.verify(p2.session_token)).valid, true, 'refresh still works after the session expired')
  clock += 3601_000
  await t.rejects(h.hub.refresh(p2.refresh_token), { code: 'VHUB_ERR_REFRESH_UNKNOWN' }, 'an expired refresh token')
})

t.test('login refusals', async t => {
  let clock = Date.now()
  const h = await startHub(t, { now: () => clock, rateLimit: { burst: 1000 } })
  const code = async (jwt: string): Promise<string> => (await h.call('login_by_jwt', { jwt })).body.error?.code
  t.equal(await code(await h.loginJwt(h.stranger)), 'VHUB_ERR_UNTRUSTED', 'a key the zone does not trust')
  t.equal(await code(await h.loginJwt(h.device, {}, { audience: 'bob.sn.test' })), 'VHUB_ERR_LOGIN_TOKEN', 'another zone')
  t.equal(await code(await h.loginJwt(h.device, {}, { ttlSeconds: 301 })), 'VHUB_ERR_LOGIN_TOKEN', 'lives over 300 s')
  t.equal(await code(await h.loginJwt(h.device, { purpose: undefined })), 'VHUB_ERR_LOGIN_TOKEN', 'a token made for something else (no purpose: login)')
  t.equal(await code(await h.loginJwt(h.device, { purpose: 'sysconfig' })), 'VHUB_ERR_LOGIN_TOKEN', 'another purpose')
  t.equal(await code('not.a.jwt'), 'VHUB_ERR_LOGIN_TOKEN')
  const forged = await signJwt({ did: h.device.did, signingKey: h.stranger.signingKey }, {}, { audience: ZONE, ttlSeconds: 60 })
  t.equal(await code(forged), 'VHUB_ERR_LOGIN_TOKEN', 'a forged signature')
  const once = await h.loginJwt(h.device)
  t.equal((await h.call('login_by_jwt', { jwt: once })).body.result.user, 'bob')
  t.equal(await code(once), 'VHUB_ERR_LOGIN_REPLAYED', 'jti is single-use')
  const expired = await h.loginJwt(h.device)
  clock += 120_000
  t.equal(await code(expired), 'VHUB_ERR_LOGIN_TOKEN', 'an expired login JWT')
  // The hub's own session token is no login token, even if the zone trusts the hub's did.
  const h2 = await startHub(t, { trust: () => true, users: () => 'root', sessionTtlSeconds: 120 })
  const s = (await h2.call('login_by_jwt', { jwt: await h2.loginJwt(h2.owner) })).body.result.session_token
  t.equal((await h2.call('login_by_jwt', { jwt: s })).body.error.code, 'VHUB_ERR_UNTRUSTED')
  // Trusted but not a user of the zone.
  const h3 = await startHub(t, { trust: () => true, users: () => undefined })
  t.equal((await h3.call('login_by_jwt', { jwt: await h3.loginJwt(h3.owner) })).body.error.code, 'VHUB_ERR_UNTRUSTED')
})

t.test('a signer no longer trusted loses its login at the next refresh', async t => {
  const trusted = new Set<string>()
  const h = await startHub(t, { trust: did => trusted.has(did), users: () => 'bob' })
  trusted.add(h.device.did)
  const p = (await h.call('login_by_jwt', { jwt: await h.loginJwt(h.device) })).body.result
  trusted.delete(h.device.did)
  t.equal((await h.call('refresh', { refresh_token: p.refresh_token })).body.error.code, 'VHUB_ERR_UNTRUSTED')
  t.equal((await h.hub.verify(p.session_token)).valid, false)
})

t.test('failed logins are rate limited per client address', async t => {
  let clock = Date.now()
  const h = await startHub(t, { now: () => clock, rateLimit: { burst: 3, refillPerSecond: 1 } })
  for (let i = 0; i < 3; i++) t.equal((await h.call('login_by_jwt', { jwt: await h.loginJwt(h.stranger) })).body.error.code, 'VHUB_ERR_UNTRUSTED')
  const good = await h.loginJwt(h.device)
  const limited = await h.call('login_by_jwt', { jwt: good })
  t.equal(limited.status, 429)
  t.equal(limited.body.error.code, 'VHUB_ERR_RATE_LIMITED', 'even a good token waits')
  t.equal(limited.headers.get('retry-after'), '1')
  t.equal((await h.call('refresh', { refresh_token: 'x'.repeat(43) })).body.error.code, 'VHUB_ERR_RATE_LIMITED', 'refresh shares the limit')
  t.equal((await h.call('verify', { session_token: 'x' })).body.result.valid, false, 'verify is not limited')
  clock += 1000
  t.equal((await h.call('login_by_jwt', { jwt: good })).body.result.user, 'bob', 'a token regained after a second; the good jti was not burnt')
  // Another address is not affected.
  t.equal((await h.hub.loginByJwt(await h.loginJwt(h.device), '192.0.2.1')).user, 'bob')
})

t.test('the key persists: a second hub over the same holder has the same did and accepts the first one\'s tokens', async t => {
  const keys = memoryKeys()
  const owner = makeKey()
  const init = { zone: ZONE, keys, trust: (d: string) => d === owner.did, users: () => 'root', logger: silentLogger() }
  const hub1 = await createVerifyHub(init)
  t.equal(keys.saves, 1, 'made and saved at first start')
  t.match(keys.pem, /^-----BEGIN PRIVATE KEY-----/)
  const p = await hub1.loginByJwt(await signJwt(owner, { purpose: 'login' }, { audience: ZONE, ttlSeconds: 60 }))
  const hub2 = await createVerifyHub(init)
  t.equal(keys.saves, 1, 'loaded, not remade')
  t.equal(hub2.did, hub1.did)
  t.same(await hub2.verify(p.session_token), { valid: true, user: 'root', expires_at: (await verifySessionToken(p.session_token, { hubDid: hub1.did, zone: ZONE })).exp })
  const other = await createVerifyHub({ ...init, keys: memoryKeys() })
  t.not(other.did, hub1.did)
  t.same(await other.verify(p.session_token), { valid: false, reason: 'VHUB_ERR_SESSION_INVALID' }, 'another hub\'s key')
  await t.rejects(createVerifyHub({ ...init, keys: { load: async () => 'garbage', save: async () => {} } }), { code: 'VHUB_ERR_BAD_KEY' })
})
