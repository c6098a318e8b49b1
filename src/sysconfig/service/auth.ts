// Who is calling system-config, and may they touch this key. Every call carries an EdDSA JWT
// (aud = the zone name). Trusted signers and what their tokens mean:
//   - a token issuer (verify-hub) with a `sub` claim: user `sub` ('root' → root);
//   - the zone owner's key: root;
//   - a device of the zone: `device:<name>` (its name from the device list, else its did).
// An `app` claim turns the caller into that app (judged by the app rules only); only the owner
// and the issuers may grant one, since a device could otherwise lend itself any app's rights.
import { verifyJwt } from '../../identity/jwt.ts'
import { compileRules, principalName, type AccessPolicy, type AccessRule, type Principal } from '../rules.ts'
import { SYSCFG_ERR_AUTH, SYSCFG_ERR_FORBIDDEN } from './errors.ts'

/** A device of the zone: its did, or its name and did (the name is what rules call `{self}`). */
export type ZoneDevice = string | { name: string, did: string }

export interface SysConfigAuthInit {
  /** The zone name, e.g. alice.sn.test: the tokens' audience. */
  zone: string
  /** The zone owner's did:dev. */
  owner: string
  /** The zone's current devices (read on every call, so changes apply at once). */
  devices: () => readonly ZoneDevice[]
  /** dids of the token issuers whose user tokens are accepted. */
  issuers: readonly string[]
  rules: readonly AccessRule[]
  /** Reject tokens living longer than this (exp − iat), seconds. Default: no limit. */
  maxTtlSeconds?: number
  /** Clock in milliseconds (tests). */
  now?: () => number
}

export interface SysConfigAuth {
  /** The caller a token names; SYSCFG_ERR_AUTH when it is missing, invalid or untrusted. */
  authenticate (token: unknown): Promise<Principal>
  /** Throws SYSCFG_ERR_FORBIDDEN unless `principal` may `need` `key`. */
  check (principal: Principal, key: string, need: 'read' | 'write'): void
  /** The boolean form of check(), for filtering (watch events). */
  allows (principal: Principal, key: string, need: 'read' | 'write'): boolean
}

// Names land in rule matches and in keys: one path segment of plain characters.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/

export function createSysConfigAuth (init: SysConfigAuthInit): SysConfigAuth {
  const policy: AccessPolicy = compileRules(init.rules)
  const issuers = new Set(init.issuers)

  function deviceName (did: string): string | undefined {
    for (const d of init.devices()) {
      if (typeof d === 'string') {
        if (d === did) return did
      } else if (d.did === did) {
        return d.name
      }
    }
    return undefined
  }

  async function authenticate (token: unknown): Promise<Principal> {
    if (typeof token !== 'string' || token === '') throw new SYSCFG_ERR_AUTH('no token in sys[1]')
    let verified
    try {
      verified = await verifyJwt(token, {
        audience: init.zone,
        trust: did => did === init.owner || issuers.has(did) || deviceName(did) !== undefined,
        maxTtlSeconds: init.maxTtlSeconds,
        now: init.now
      })
    } catch (err) {
      throw new SYSCFG_ERR_AUTH(`${(err as { code?: string }).code ?? 'invalid token'}: ${(err as Error).message}`, { cause: err })
    }
    const { issuer, claims } = verified
    const app = claims.app
    if (app !== undefined && (typeof app !== 'string' || !NAME.test(app))) throw new SYSCFG_ERR_AUTH('the "app" claim is not a valid app id')
    let user: string // 'root' or a user id
    if (issuers.has(issuer) && claims.sub !== undefined) {
      if (typeof claims.sub !== 'string' || !NAME.test(claims.sub)) throw new SYSCFG_ERR_AUTH('the "sub" claim is not a valid user id')
      user = claims.sub
    } else if (issuer === init.owner) {
      user = 'root'
    } else {
      const name = deviceName(issuer)
      if (name === undefined) throw new SYSCFG_ERR_AUTH('an issuer token must name its user in "sub"')
      if (app !== undefined) throw new SYSCFG_ERR_AUTH('a device token may not carry an "app" claim')
      if (!NAME.test(name)) throw new SYSCFG_ERR_AUTH('the device name is not usable in keys')
      return { kind: 'device', name }
    }
    if (app !== undefined) return { kind: 'app', id: app, user }
    return user === 'root' ? { kind: 'root' } : { kind: 'user', id: user }
  }

  return {
    authenticate,
    allows: (principal, key, need) => policy.allows(principal, key, need),
    check (principal, key, need) {
      if (!policy.allows(principal, key, need)) throw new SYSCFG_ERR_FORBIDDEN(principalName(principal), need, key)
    }
  }
}
