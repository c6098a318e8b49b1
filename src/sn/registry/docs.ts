// Checks the JWTs the SN accepts (owner proofs and documents, device tokens) and validates their
// claims into typed values. Identity errors (ID_ERR_TOKEN_*) become SN_ERR_TOKEN_INVALID with the
// original as `cause`, so the API answers 401 whatever went wrong in the token.
import { verifyJwt, type VerifiedJwt } from '../../identity/jwt.ts'
import { isDid } from '../../identity/did.ts'
import { SN_ERR_BAD_REQUEST, SN_ERR_TOKEN_INVALID } from '../errors.ts'
import { GatewayError } from '../../core/errors.ts'
import { LABEL } from './names.ts'

const MAX_TOKEN_CHARS = 16 * 1024

/** verifyJwt with a known audience; `what` names the token in error messages. */
export async function checkJwt (what: string, token: unknown, options: {
  audience: string, trust: (did: string) => boolean, maxTtlSeconds: number, now?: () => number
}): Promise<VerifiedJwt> {
  if (typeof token !== 'string' || token.length === 0) throw new SN_ERR_BAD_REQUEST(`${what} must be a compact JWT string`)
  if (token.length > MAX_TOKEN_CHARS) throw new SN_ERR_TOKEN_INVALID(what, `longer than ${MAX_TOKEN_CHARS} characters`)
  try {
    return await verifyJwt(token, options)
  } catch (err) {
    if (err instanceof GatewayError) throw new SN_ERR_TOKEN_INVALID(what, `${err.code}: ${err.message}`, { cause: err })
    throw new SN_ERR_TOKEN_INVALID(what, 'unverifiable', { cause: err })
  }
}

export interface DeviceListDoc { zone: string, version: number, devices: Array<{ name: string, did: string }> }

/** The claims of a device-list document, validated (names, dids, duplicates, count). */
export function parseDeviceList (claims: Record<string, unknown>, maxDevices: number): DeviceListDoc {
  const { zone, version, devices } = claims
  if (typeof zone !== 'string') throw new SN_ERR_BAD_REQUEST('claim "zone" must be a string')
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new SN_ERR_BAD_REQUEST('claim "version" must be a positive integer')
  }
  if (!Array.isArray(devices)) throw new SN_ERR_BAD_REQUEST('claim "devices" must be an array')
  if (devices.length > maxDevices) throw new SN_ERR_BAD_REQUEST(`claim "devices" lists more than ${maxDevices} devices`)
  const names = new Set<string>()
  const dids = new Set<string>()
  const list: Array<{ name: string, did: string }> = []
  for (const [i, d] of devices.entries()) {
    if (d === null || typeof d !== 'object') throw new SN_ERR_BAD_REQUEST(`devices[${i}] must be an object`)
    const { name, did } = d as Record<string, unknown>
    const lower = typeof name === 'string' ? name.toLowerCase() : undefined
    if (lower === undefined || !LABEL.test(lower)) throw new SN_ERR_BAD_REQUEST(`devices[${i}].name must be a DNS label`)
    if (!isDid(did)) throw new SN_ERR_BAD_REQUEST(`devices[${i}].did must be a did:dev`)
    if (names.has(lower)) throw new SN_ERR_BAD_REQUEST(`device name ${lower} is listed twice`)
    if (dids.has(did)) throw new SN_ERR_BAD_REQUEST(`device ${did} is listed twice`)
    names.add(lower)
    dids.add(did)
    list.push({ name: lower, did })
  }
  return { zone: zone.toLowerCase(), version, devices: list }
}
