import t from 'tap'
import fc from 'fast-check'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import {
  didFromPublicKey, publicKeyFromDid, peerIdFromDid, didFromPeerId, isDid, DID_PATTERN
} from '../../../src/identity/did.ts'

t.test('did:dev is the base64url of the 32 raw bytes, without padding', async t => {
  const raw = new Uint8Array(32).fill(0xff)
  const did = didFromPublicKey(raw)
  t.equal(did, 'did:dev:' + Buffer.from(raw).toString('base64url'))
  t.equal(did.length, 'did:dev:'.length + 43)
  t.notMatch(did, /=/)
  t.ok(new RegExp(DID_PATTERN).test(did), 'the schema pattern accepts it')
})

t.test('public key ⇄ did round trip, for any 32 bytes', async t => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), raw => {
    const did = didFromPublicKey(raw)
    return isDid(did) && Buffer.from(publicKeyFromDid(did)).equals(Buffer.from(raw))
  }), { numRuns: 500 })
  // a view into a larger buffer converts only its own bytes
  const big = randomBytes(64)
  const view = new Uint8Array(big.buffer, big.byteOffset + 16, 32)
  t.same(Buffer.from(publicKeyFromDid(didFromPublicKey(view))), big.subarray(16, 48))
})

t.test('peer id ⇄ did for a libp2p Ed25519 key', async t => {
  const key = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(key)
  const did = didFromPeerId(peerId)
  t.equal(did, didFromPublicKey(key.publicKey.raw))
  const back = peerIdFromDid(did)
  t.ok(back.equals(peerId), 'the same peer id')
  t.equal(back.toString(), peerId.toString())
  t.equal(back.type, 'Ed25519')
  t.equal(didFromPeerId(peerIdFromString(peerId.toString())), did, 'a parsed peer id string has the same did')
})

t.test('bad dids give ID_ERR_INVALID_DID', async t => {
  const good = didFromPublicKey(randomBytes(32))
  const standardBase64 = 'did:dev:' + Buffer.alloc(32, 0xfb).toString('base64').replace(/=+$/, '') // has + and /
  const bad = [
    '', 'abc', 'did:key:' + good.slice(8), good.slice(0, -1), good + 'A', good + '=',
    good.slice(0, -1) + 'B', // a last character with non-zero padding bits: not the canonical spelling
    standardBase64, 'did:dev:' + 'A'.repeat(42) + '/', 'DID:DEV:' + good.slice(8), 'x'.repeat(10_000)
  ]
  for (const d of bad) {
    t.throws(() => publicKeyFromDid(d), { code: 'ID_ERR_INVALID_DID' }, JSON.stringify(d.slice(0, 60)))
    t.throws(() => peerIdFromDid(d), { code: 'ID_ERR_INVALID_DID' })
    t.notOk(isDid(d))
  }
  t.throws(() => publicKeyFromDid(42 as unknown as string), { code: 'ID_ERR_INVALID_DID' })
  t.throws(() => publicKeyFromDid(JSON.parse('{"toString": {}}') as string), { code: 'ID_ERR_INVALID_DID' }, 'an object String() cannot render')
  const long = t.throws(() => publicKeyFromDid('did:dev:' + 'x'.repeat(10_000))) as Error
  t.ok(long.message.length < 300, 'the message does not repeat a huge input')
})

t.test('random strings never pass as a did and never throw anything uncoded', async t => {
  fc.assert(fc.property(fc.boolean(), fc.string({ maxLength: 80 }), (prefixed, s) => {
    const text = prefixed ? 'did:dev:' + s : s
    try {
      publicKeyFromDid(text)
      return isDid(text)
    } catch (err) {
      return (err as { code?: string }).code === 'ID_ERR_INVALID_DID'
    }
  }), { numRuns: 1000 })
})

t.test('bad public keys and non-Ed25519 peer ids give coded errors', async t => {
  t.throws(() => didFromPublicKey(new Uint8Array(31)), { code: 'ID_ERR_INVALID_PUBLIC_KEY' })
  t.throws(() => didFromPublicKey(new Uint8Array(33)), { code: 'ID_ERR_INVALID_PUBLIC_KEY' })
  t.throws(() => didFromPublicKey('x' as unknown as Uint8Array), { code: 'ID_ERR_INVALID_PUBLIC_KEY' })
  const secp = peerIdFromPrivateKey(await generateKeyPair('secp256k1'))
  t.throws(() => didFromPeerId(secp), { code: 'ID_ERR_NOT_ED25519' })
})
