// Session tokens: EdDSA JWTs signed by the hub's key (iss = kid = the hub's did), aud = the zone,
// sub = the user id, claim `typ: "session"`, `sid` = the login (refresh family) it belongs to and
// an optional `app`. verifySessionToken() is the pure signature check a gateway does locally on a
// cookie; the hub's own `verify` method adds "the login was not revoked since".
import { signJwt, verifyJwt, type Signer } from '../identity/jwt.ts'
import { hasCode } from '../core/errors.ts'
import { VHUB_ERR_SESSION_EXPIRED, VHUB_ERR_SESSION_INVALID } from './errors.ts'

export const SESSION_TYP = 'session'

// Ids end up in system-config rules and keys (src/sysconfig/service/auth.ts accepts the same).
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/

export interface SessionClaims { user: string, app?: string, sid: string }

export async function signSessionToken (hub: Signer, zone: string, claims: SessionClaims, ttlSeconds: number, now?: () => number): Promise<string> {
  const body: Record<string, unknown> = { typ: SESSION_TYP, sid: claims.sid }
  if (claims.app !== undefined) body.app = claims.app
  return await signJwt(hub, body, { audience: zone, ttlSeconds, subject: claims.user, now })
}

export interface VerifySessionOptions {
  /** did:dev of the zone's verify-hub: the only accepted signer. */
  hubDid: string
  /** The zone name: the required audience. */
  zone: string
  /** Allowed clock skew, seconds (default 30, as for every JWT here). */
  clockToleranceSeconds?: number
  /** Clock in milliseconds (tests). */
  now?: () => number
}

export interface VerifiedSession {
  user: string
  app?: string
  /** Expiry, seconds since the epoch. */
  exp: number
  /** The login it belongs to. */
  sid?: string
}

/** Check a session token's signature, audience, expiry and issuer. Throws VHUB_ERR_SESSION_*. */
export async function verifySessionToken (token: string, options: VerifySessionOptions): Promise<VerifiedSession> {
  let verified
  try {
    verified = await verifyJwt(token, {
      audience: options.zone,
      trust: did => did === options.hubDid,
      clockToleranceSeconds: options.clockToleranceSeconds,
      now: options.now
    })
  } catch (err) {
    if (hasCode(err, 'ID_ERR_TOKEN_EXPIRED')) throw new VHUB_ERR_SESSION_EXPIRED({ cause: err })
    throw new VHUB_ERR_SESSION_INVALID(`${(err as { code?: string }).code ?? 'invalid'}: ${(err as Error).message}`, { cause: err })
  }
  const { claims } = verified
  if (claims.typ !== SESSION_TYP) throw new VHUB_ERR_SESSION_INVALID('not a session token')
  if (typeof claims.sub !== 'string' || !NAME_PATTERN.test(claims.sub)) throw new VHUB_ERR_SESSION_INVALID('no valid "sub"')
  if (claims.app !== undefined && (typeof claims.app !== 'string' || !NAME_PATTERN.test(claims.app))) {
    throw new VHUB_ERR_SESSION_INVALID('invalid "app"')
  }
  const result: VerifiedSession = { user: claims.sub, exp: claims.exp as number }
  if (typeof claims.app === 'string') result.app = claims.app
  if (typeof claims.sid === 'string') result.sid = claims.sid
  return result
}
