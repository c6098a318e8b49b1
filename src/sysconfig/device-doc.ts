// A device's membership of the zone, as the zone's own store holds it: `devices/<name>/doc` is a
// JWT signed by the zone owner naming the device (`name`) and its key (`did`), for the zone's
// audience. Only root may write under devices/ (the rules), and the signature is checked again
// when the doc is read, so a store shared with others (etcd) cannot add a device by itself.
// A doc stays valid until it is deleted: removing the key removes the device.
import { signJwt, verifyJwt, type Signer } from '../identity/jwt.ts'
import { isDid } from '../identity/did.ts'
import { SYSCFG_ERR_BAD_DEVICE_DOC } from './errors.ts'

export const DEVICE_DOC_PURPOSE = 'zone-device'
/** Device names: one key segment, usable as rtcp://<name>/ and in `{self}` rules. */
export const DEVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/
/** A doc's lifetime is its key's: a JWT needs an expiry, so it is one far away (100 years). */
const DOC_TTL_SECONDS = 100 * 365 * 24 * 3600

export function deviceDocKey (name: string): string {
  return `devices/${name}/doc`
}

export async function signDeviceDoc (owner: Signer, zone: string, device: { name: string, did: string }): Promise<string> {
  if (!DEVICE_NAME.test(device.name)) throw new SYSCFG_ERR_BAD_DEVICE_DOC(device.name, 'the name must be lower-case letters, digits, "_" and "-", starting with a letter or digit')
  if (!isDid(device.did)) throw new SYSCFG_ERR_BAD_DEVICE_DOC(device.name, 'did must be a did:dev:… device id')
  return await signJwt(owner, { purpose: DEVICE_DOC_PURPOSE, name: device.name, did: device.did }, { audience: zone, ttlSeconds: DOC_TTL_SECONDS })
}

/** The did a doc stored under devices/<name>/doc admits; SYSCFG_ERR_BAD_DEVICE_DOC otherwise. */
export async function readDeviceDoc (text: string, expect: { zone: string, owner: string, name: string }): Promise<string> {
  let claims
  try {
    ({ claims } = await verifyJwt(text, { audience: expect.zone, trust: did => did === expect.owner }))
  } catch (err) {
    throw new SYSCFG_ERR_BAD_DEVICE_DOC(expect.name, `not signed by the zone owner for ${expect.zone} (${(err as { code?: string }).code ?? 'invalid'})`, { cause: err })
  }
  if (claims.purpose !== DEVICE_DOC_PURPOSE) throw new SYSCFG_ERR_BAD_DEVICE_DOC(expect.name, `the purpose claim is not "${DEVICE_DOC_PURPOSE}"`)
  if (claims.name !== expect.name) throw new SYSCFG_ERR_BAD_DEVICE_DOC(expect.name, 'it names another device than its key does')
  if (typeof claims.did !== 'string' || !isDid(claims.did)) throw new SYSCFG_ERR_BAD_DEVICE_DOC(expect.name, 'no valid did claim')
  return claims.did
}
