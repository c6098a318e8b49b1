// Noise's crypto with one change: the ChaCha20-Poly1305 key of a session is turned into a
// node:crypto KeyObject once and reused, instead of being imported again for every message
// (up to 64 KiB each). Measured on this machine: 44 µs instead of 60-70 µs per 64 KiB message.
// Small messages keep the library's own path (its WebAssembly cipher is faster below 1200 bytes).
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import { Uint8ArrayList } from 'uint8arraylist'

const SMALL = 1200
const keys = new WeakMap<Uint8Array, KeyObject>()

function keyOf (k: Uint8Array): KeyObject {
  let ko = keys.get(k)
  if (ko == null) {
    ko = createSecretKey(k)
    keys.set(k, ko)
  }
  return ko
}

export const noiseCrypto: ICryptoInterface = {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt (plaintext, nonce, ad, k) {
    if (plaintext.byteLength < SMALL) return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
    const cipher = createCipheriv('chacha20-poly1305', keyOf(k), nonce, { authTagLength: 16 })
    cipher.setAAD(ad, { plaintextLength: plaintext.byteLength })
    if (plaintext instanceof Uint8Array) {
      const body = cipher.update(plaintext)
      cipher.final()
      return Buffer.concat([body, cipher.getAuthTag()], body.byteLength + 16)
    }
    const out = new Uint8ArrayList()
    for (const buf of plaintext) out.append(cipher.update(buf))
    cipher.final()
    out.append(cipher.getAuthTag())
    return out
  },
  chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k, dst) {
    if (ciphertext.byteLength < SMALL) return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
    const tag = ciphertext.subarray(ciphertext.byteLength - 16)
    const decipher = createDecipheriv('chacha20-poly1305', keyOf(k), nonce, { authTagLength: 16 })
    const body = ciphertext instanceof Uint8Array ? ciphertext.subarray(0, ciphertext.byteLength - 16) : ciphertext.sublist(0, ciphertext.byteLength - 16)
    decipher.setAAD(ad, { plaintextLength: body.byteLength })
    decipher.setAuthTag(tag)
    if (body instanceof Uint8Array) {
      const out = decipher.update(body)
      decipher.final()
      return out
    }
    const out = new Uint8ArrayList()
    for (const buf of body) out.append(decipher.update(buf))
    decipher.final()
    return out
  }
}
