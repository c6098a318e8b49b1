// The hub's own Ed25519 signing key. Its did is the `issuer` the rest of the zone trusts, so it
// must survive restarts: it is read from the key holder (system-config `system/verify-hub/key`,
// readable by root only) and made and saved there on first start, as PKCS#8 PEM.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { didFromPublicKey } from '../identity/did.ts'
import { VHUB_ERR_BAD_KEY } from './errors.ts'

export interface HubKeyHolder {
  load (): Promise<string | undefined>
  save (pem: string): Promise<void>
}

export interface HubKey { did: string, signingKey: KeyObject, created: boolean }

export async function loadOrCreateHubKey (keys: HubKeyHolder): Promise<HubKey> {
  const pem = await keys.load()
  if (pem !== undefined && pem !== '') return { ...parseHubKey(pem), created: false }
  const { privateKey } = generateKeyPairSync('ed25519')
  await keys.save(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)
  return { did: didOf(privateKey), signingKey: privateKey, created: true }
}

export function parseHubKey (pem: string): { did: string, signingKey: KeyObject } {
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch (err) {
    throw new VHUB_ERR_BAD_KEY('not a PEM private key', { cause: err })
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new VHUB_ERR_BAD_KEY(`a ${String(key.asymmetricKeyType)} key, not Ed25519`)
  return { did: didOf(key), signingKey: key }
}

function didOf (privateKey: KeyObject): string {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' })
  return didFromPublicKey(new Uint8Array(Buffer.from(jwk.x as string, 'base64url')))
}
