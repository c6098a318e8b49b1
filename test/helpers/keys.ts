// Real Ed25519 keys for tests, each with the did:dev id derived from its public key: what
// signJwt() takes as a signer and what trust/device lists name.
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { didFromPublicKey } from '../../src/identity/did.ts'

export interface TestKey { did: string, signingKey: KeyObject }

export function makeKey (): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url')
  return { did: didFromPublicKey(raw), signingKey: privateKey }
}
