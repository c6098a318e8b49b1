import t from 'tap'
import fc from 'fast-check'
import { signJwt, verifyJwt } from '../../../src/identity/jwt.ts'
import { makeKey } from '../../helpers/keys.ts'
import { withinTime } from '../../helpers/within-time.ts'
import { hostileJson } from '../../helpers/hostile-json.ts'

const alice = makeKey()
const mallory = makeKey()
const trustAlice = (did: string): boolean => did === alice.did

t.test('a token signed by a trusted key verifies, with its claims', async t => {
  const token = await signJwt(alice, { zone: 'alice.sn.test' }, { audience: 'sn.test', ttlSeconds: 60, subject: 'root' })
  const v = await verifyJwt(token, { audience: 'sn.test', trust: trustAlice })
  t.equal(v.issuer, alice.did)
  t.equal(v.claims.zone, 'alice.sn.test')
  t.equal(v.claims.sub, 'root')
  t.type(v.claims.jti, 'string')
})

t.test('each failure has its own code', async t => {
  const token = await signJwt(alice, {}, { audience: 'sn.test', ttlSeconds: 60 })
  await t.rejects(verifyJwt(token, { audience: 'other.test', trust: trustAlice }), { code: 'ID_ERR_TOKEN_AUDIENCE' })
  await t.rejects(verifyJwt(token, { audience: 'sn.test', trust: () => false }), { code: 'ID_ERR_TOKEN_UNTRUSTED' })
  await t.rejects(verifyJwt(token, { audience: 'sn.test', trust: trustAlice, now: () => Date.now() + 120_000 }), { code: 'ID_ERR_TOKEN_EXPIRED' })
  const long = await signJwt(alice, {}, { audience: 'sn.test', ttlSeconds: 3600 })
  await t.rejects(verifyJwt(long, { audience: 'sn.test', trust: trustAlice, maxTtlSeconds: 300 }), { code: 'ID_ERR_TOKEN_TOO_LONG' })
  // Mallory signs but claims to be Alice: the kid names Alice's key, the signature is Mallory's.
  const forged = await signJwt({ did: alice.did, signingKey: mallory.signingKey }, {}, { audience: 'sn.test', ttlSeconds: 60 })
  await t.rejects(verifyJwt(forged, { audience: 'sn.test', trust: trustAlice }), { code: 'ID_ERR_TOKEN_SIGNATURE' })
  // A payload changed after signing.
  const [h, , s] = token.split('.')
  const body = Buffer.from(JSON.stringify({ iss: alice.did, aud: 'sn.test', iat: 1, exp: 9e9, zone: 'bob.sn.test' })).toString('base64url')
  await t.rejects(verifyJwt(`${h}.${body}.${s}`, { audience: 'sn.test', trust: trustAlice }), { code: 'ID_ERR_TOKEN_SIGNATURE' })
  // alg none and friends.
  const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: alice.did })).toString('base64url')}.${body}.`
  await t.rejects(verifyJwt(none, { audience: 'sn.test', trust: trustAlice }), { code: 'ID_ERR_TOKEN_MALFORMED' })
  await t.rejects(verifyJwt('x'.repeat(20_000), { audience: 'sn.test', trust: trustAlice }), { code: 'ID_ERR_TOKEN_MALFORMED' })
})

t.test('a token verified before is checked again for everything but its signature', async t => {
  const token = await signJwt(alice, { n: 1 }, { audience: 'sn.test', ttlSeconds: 60 })
  const first = await verifyJwt(token, { audience: 'sn.test', trust: trustAlice })
  const again = await verifyJwt(token, { audience: 'sn.test', trust: trustAlice })
  t.same(again, first)
  await t.rejects(verifyJwt(token, { audience: 'other.test', trust: trustAlice }), { code: 'ID_ERR_TOKEN_AUDIENCE' })
  await t.rejects(verifyJwt(token, { audience: 'sn.test', trust: () => false }), { code: 'ID_ERR_TOKEN_UNTRUSTED' }, 'trust is asked on every use')
  await t.rejects(verifyJwt(token, { audience: 'sn.test', trust: trustAlice, now: () => Date.now() + 120_000 }), { code: 'ID_ERR_TOKEN_EXPIRED' })
  await t.rejects(verifyJwt(token, { audience: 'sn.test', trust: trustAlice, maxTtlSeconds: 30 }), { code: 'ID_ERR_TOKEN_TOO_LONG' })
  // A token that differs in one character is a different token: its signature is checked.
  const tampered = token.slice(0, -2) + (token.endsWith('A') ? 'BB' : 'AA')
  await t.rejects(verifyJwt(tampered, { audience: 'sn.test', trust: trustAlice }))
})

t.test('random text never verifies and always fails with a coded error', async t => {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')
  // Headers and claims that are JSON but not what a token holds: alg or kid as trap objects.
  const jsonParts = fc.tuple(fc.record({ alg: fc.oneof(fc.constant('EdDSA'), hostileJson), kid: hostileJson, typ: hostileJson }, { requiredKeys: [] }), hostileJson, fc.base64String())
    .map(([h, p, sig]) => `${part(h)}.${part(p)}.${sig}`)
  await fc.assert(fc.asyncProperty(fc.oneof(fc.string(), fc.base64String(), jsonParts, fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map(p => p.join('.'))), withinTime(4000, async (text) => {
    try {
      await verifyJwt(text, { audience: 'sn.test', trust: () => true })
      return false
    } catch (err) {
      return /^ID_ERR_TOKEN_/.test((err as { code?: string }).code ?? '')
    }
  })), { numRuns: 2000 })
  t.pass('no crash, no acceptance')
})
