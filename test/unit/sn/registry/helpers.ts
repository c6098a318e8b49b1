// Shared by the SN registry and API tests: real Ed25519 keys and the JWTs the SN accepts.
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { didFromPublicKey } from '../../../../src/identity/did.ts'
import { signJwt } from '../../../../src/identity/jwt.ts'

export const DOMAIN = 'sn.test'

export interface TestKey { did: string, signingKey: KeyObject }

export function makeKey (): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x as string
  return { did: didFromPublicKey(new Uint8Array(Buffer.from(x, 'base64url'))), signingKey: privateKey }
}

export async function zoneProof (owner: TestKey, zone: string, ttlSeconds = 300): Promise<string> {
  return await signJwt(owner, { zone }, { audience: DOMAIN, ttlSeconds })
}

export async function deviceListDoc (owner: TestKey, zone: string, version: number, devices: Array<{ name: string, did: string }>): Promise<string> {
  return await signJwt(owner, { zone, version, devices }, { audience: DOMAIN, ttlSeconds: 300 })
}

export async function ownerDoc (owner: TestKey, claims: Record<string, unknown>): Promise<string> {
  return await signJwt(owner, claims, { audience: DOMAIN, ttlSeconds: 300 })
}

export async function deviceToken (device: TestKey, zone: string, options: { ttlSeconds?: number, now?: () => number } = {}): Promise<string> {
  return await signJwt(device, { zone }, { audience: DOMAIN, ttlSeconds: options.ttlSeconds ?? 60, ...(options.now !== undefined ? { now: options.now } : {}) })
}
