// Device tokens on the API: "authorization: Bearer <JWT>" signed by a listed device's key, aud =
// the SN domain, claim zone = the device's zone, lifetime at most 300 s, each jti used once.
import type { IncomingMessage } from 'node:http'
import type { SnRegistry } from '../registry/types.ts'
import { checkJwt } from '../registry/docs.ts'
import { normalizeName } from '../registry/names.ts'
import { ReplayGuard } from './replay-guard.ts'
import { SN_ERR_DENIED, SN_ERR_RATE_LIMITED, SN_ERR_TOKEN_INVALID, SN_ERR_TOKEN_MISSING, SN_ERR_TOKEN_REPLAYED, SN_ERR_ZONE_MISMATCH } from '../errors.ts'
import { showValue } from '../../core/show-value.ts'

export const DEVICE_TOKEN_MAX_TTL_SECONDS = 300
const CLOCK_TOLERANCE_MS = 30_000
const BEARER = /^Bearer +([A-Za-z0-9_.-]+)$/

export interface AuthenticatedDevice { did: string, zone: string, name: string }

export class DeviceAuth {
  #registry: SnRegistry
  #replay: ReplayGuard
  #now: () => number

  constructor (registry: SnRegistry, options: { now?: () => number, maxReplayIds?: number } = {}) {
    this.#registry = registry
    this.#now = options.now ?? Date.now
    this.#replay = new ReplayGuard(options.maxReplayIds)
  }

  async authenticate (req: IncomingMessage): Promise<AuthenticatedDevice> {
    const header = req.headers.authorization
    if (header === undefined) throw new SN_ERR_TOKEN_MISSING()
    const m = BEARER.exec(header)
    if (m === null) throw new SN_ERR_TOKEN_INVALID('device token', 'the authorization header must be "Bearer <JWT>"')
    const registry = this.#registry
    const { issuer, claims } = await checkJwt('device token', m[1], {
      audience: registry.domain,
      // Only listed devices' signatures count; denial and zone are checked below with clearer errors.
      trust: did => registry.deviceOf(did) !== undefined,
      maxTtlSeconds: DEVICE_TOKEN_MAX_TTL_SECONDS,
      now: this.#now
    })
    const device = registry.deviceOf(issuer)
    if (device === undefined) throw new SN_ERR_TOKEN_INVALID('device token', 'the device is no longer listed')
    if (registry.isDenied('device', issuer)) throw new SN_ERR_DENIED('device', issuer)
    if (!registry.isAdmitted(issuer)) throw new SN_ERR_DENIED('zone', device.zone)
    const zone = normalizeName(claims.zone)
    if (zone !== device.zone) throw new SN_ERR_ZONE_MISMATCH(showValue(claims.zone), device.zone)
    const { jti, exp } = claims
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 128) throw new SN_ERR_TOKEN_INVALID('device token', 'claim "jti" is required')
    if (typeof exp !== 'number') throw new SN_ERR_TOKEN_INVALID('device token', 'claim "exp" is required')
    const verdict = this.#replay.use(`${issuer} ${jti}`, exp * 1000 + CLOCK_TOLERANCE_MS, this.#now())
    if (verdict === 'replayed') throw new SN_ERR_TOKEN_REPLAYED()
    if (verdict === 'full') throw new SN_ERR_RATE_LIMITED('device tokens')
    return { did: issuer, zone: device.zone, name: device.name }
  }
}
