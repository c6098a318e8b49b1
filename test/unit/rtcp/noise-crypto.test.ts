import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { noiseCrypto } from '../../../src/rtcp/noise-crypto.ts'

const flat = (x: Uint8Array | Uint8ArrayList): Buffer => Buffer.from(x instanceof Uint8Array ? x : x.subarray())

t.test('same ciphertext as the library, and it decrypts both ways, for small and large messages', async t => {
  const k = randomBytes(32); const nonce = randomBytes(12); const ad = randomBytes(32)
  for (const size of [0, 100, 1199, 1200, 4096, 65519]) {
    const pt = randomBytes(size)
    const ours = flat(noiseCrypto.chaCha20Poly1305Encrypt(pt, nonce, ad, k))
    const theirs = flat(defaultCrypto.chaCha20Poly1305Encrypt(pt, nonce, ad, k))
    t.ok(ours.equals(theirs), `${size} bytes: identical ciphertext and tag`)
    t.ok(flat(noiseCrypto.chaCha20Poly1305Decrypt(theirs, nonce, ad, k)).equals(pt), `${size} bytes: decrypts`)
    const list = new Uint8ArrayList(pt.subarray(0, size >> 1), pt.subarray(size >> 1))
    t.ok(flat(noiseCrypto.chaCha20Poly1305Encrypt(list, nonce, ad, k)).equals(theirs), `${size} bytes as a list`)
  }
})

t.test('a tampered message is rejected', async t => {
  const k = randomBytes(32); const nonce = randomBytes(12); const ad = Buffer.alloc(0)
  const ct = flat(noiseCrypto.chaCha20Poly1305Encrypt(randomBytes(5000), nonce, ad, k))
  ct[10] ^= 1
  t.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(ct, nonce, ad, k))
})
