// The zone's token issuer (verify-hub role, SPEC §8). Trusted keys (owner, devices, user keys)
// log in with a short signed JWT and get a session token (an EdDSA JWT by the hub, 15 min) and a
// refresh token (opaque, one-time, rotated on every use; reuse revokes the whole login). The
// HTTP face is in handler.ts; this file is the logic, callable directly too.
import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '../core/logger.ts'
import { hasCode } from '../core/errors.ts'
import { verifyJwt, MAX_TOKEN_CHARS } from '../identity/jwt.ts'
import { loadOrCreateHubKey, type HubKeyHolder } from './hub-key.ts'
import { createMemoryRefreshStore, type RefreshRecord, type RefreshStore } from './refresh-store.ts'
import { createRateLimiter, type RateLimiterOptions } from './rate-limit.ts'
import { createExpiringSet } from './expiring-set.ts'
import { NAME_PATTERN, SESSION_TYP, signSessionToken, verifySessionToken } from './session-token.ts'
import { createVerifyHubHandler } from './handler.ts'
import {
  VHUB_ERR_BAD_PARAMS, VHUB_ERR_BUSY, VHUB_ERR_LOGIN_REPLAYED, VHUB_ERR_LOGIN_TOKEN, VHUB_ERR_RATE_LIMITED,
  VHUB_ERR_REFRESH_REUSED, VHUB_ERR_REFRESH_UNKNOWN, VHUB_ERR_SESSION_REVOKED, VHUB_ERR_UNTRUSTED
} from './errors.ts'

export const DEFAULT_SESSION_TTL_SECONDS = 900
export const DEFAULT_REFRESH_TTL_SECONDS = 7 * 24 * 3600
/** Longest lifetime of a login JWT: it is a proof of key possession, not a credential. */
export const MAX_LOGIN_TTL_SECONDS = 300
/** The claim a login token must carry, so a token made for something else (a system-config call) cannot log in. */
export const LOGIN_PURPOSE = 'login'
const CLOCK_TOLERANCE_SECONDS = 30
// A refresh token is 32 random bytes, base64url: 43 characters.
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/

export interface VerifyHubInit {
  /** The zone name: audience of the login JWTs it accepts and of the tokens it issues. */
  zone: string
  /** Where the hub's signing key lives (system-config `system/verify-hub/key`). */
  keys: HubKeyHolder
  /** Login signers the zone trusts: owner, devices, user keys. Re-checked on every refresh. */
  trust: (did: string) => boolean | Promise<boolean>
  /** did → user id (the owner → "root"); undefined refuses the login. Default: the did itself. */
  users?: (did: string) => string | undefined | Promise<string | undefined>
  sessionTtlSeconds?: number
  refreshTtlSeconds?: number
  /** Refresh-token state; default in memory (100 000 records, LRU). */
  refreshStore?: RefreshStore
  /** Failed-login limiter per client address. */
  rateLimit?: RateLimiterOptions
  /** The address a request is limited by. Default: the socket's remote address. */
  clientAddress?: (req: IncomingMessage) => string
  logger: Logger
  /** Clock in milliseconds (tests). */
  now?: () => number
}

export interface TokenPair {
  session_token: string
  refresh_token: string
  /** Session token lifetime, seconds. */
  expires_in: number
  refresh_expires_in: number
  user: string
  app?: string
}

export type VerifyAnswer =
  | { valid: true, user: string, app?: string, expires_at: number }
  | { valid: false, reason: string }

export interface VerifyHub {
  /** did:dev of the hub's key: the issuer the zone trusts. */
  readonly did: string
  /** JSON over HTTP POST, any path: `{method, params, sys: [seq]}` → `{result | error, sys}`. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void
  /** `from` is the client address the failed-login limit applies to. */
  loginByJwt (jwt: unknown, from?: string): Promise<TokenPair>
  refresh (refreshToken: unknown, from?: string): Promise<TokenPair>
  verify (sessionToken: unknown): Promise<VerifyAnswer>
  logout (refreshToken: unknown): Promise<{ revoked: boolean }>
}

export async function createVerifyHub (init: VerifyHubInit): Promise<VerifyHub> {
  const log = init.logger.child({ mod: 'verify_hub' })
  const now = init.now ?? Date.now
  const sessionTtl = init.sessionTtlSeconds ?? DEFAULT_SESSION_TTL_SECONDS
  const refreshTtl = init.refreshTtlSeconds ?? DEFAULT_REFRESH_TTL_SECONDS
  const store = init.refreshStore ?? createMemoryRefreshStore()
  const limiter = createRateLimiter({ now, ...init.rateLimit })
  const usedJtis = createExpiringSet({ whenFull: 'refuse', now })
  // Logins revoked (logout, reuse) while their session tokens may still be alive.
  const revoked = createExpiringSet({ whenFull: 'evict', now })
  const key = await loadOrCreateHubKey(init.keys)
  const hubKey = { did: key.did, signingKey: key.signingKey }
  if (key.created) log.info({ did: key.did }, 'made a new verify-hub key')
  let writes = 0

  /** Run `fn` unless `from` is limited; a refusal costs `from` one token. */
  async function limited<T> (from: string | undefined, fn: () => Promise<T>): Promise<T> {
    if (from !== undefined && !limiter.allowed(from)) throw new VHUB_ERR_RATE_LIMITED(from)
    try {
      return await fn()
    } catch (err) {
      // Only the caller's own failures count: not our capacity or our store breaking.
      const code = (err as { code?: unknown }).code
      if (from !== undefined && typeof code === 'string' && code.startsWith('VHUB_ERR_') && code !== VHUB_ERR_BUSY.code) limiter.fail(from)
      throw err
    }
  }

  async function issue (record: Omit<RefreshRecord, 'expiresAt' | 'used'>): Promise<TokenPair> {
    const refreshToken = randomBytes(32).toString('base64url')
    await store.put(hashOf(refreshToken), { ...record, expiresAt: now() + refreshTtl * 1000, used: false })
    // The in-memory store drops expired records as it goes; others are swept now and then.
    if (++writes % 1024 === 0) await store.prune(now())
    const sessionToken = await signSessionToken(hubKey, init.zone, { user: record.user, app: record.app, sid: record.family }, sessionTtl, now)
    const pair: TokenPair = { session_token: sessionToken, refresh_token: refreshToken, expires_in: sessionTtl, refresh_expires_in: refreshTtl, user: record.user }
    if (record.app !== undefined) pair.app = record.app
    return pair
  }

  /** Drop the login's refresh tokens and end its live sessions (as the hub's `verify` sees them). */
  async function revokeLogin (family: string): Promise<number> {
    revoked.add(family, now() + (sessionTtl + CLOCK_TOLERANCE_SECONDS) * 1000)
    return await store.revokeFamily(family)
  }

  async function loginByJwt (jwt: unknown, from?: string): Promise<TokenPair> {
    return await limited(from, async () => {
      if (typeof jwt !== 'string' || jwt === '' || jwt.length > MAX_TOKEN_CHARS) throw new VHUB_ERR_BAD_PARAMS('login_by_jwt', '"jwt" must be a token')
      let verified
      try {
        verified = await verifyJwt(jwt, {
          audience: init.zone,
          // The hub's own tokens never log in: a session could otherwise extend itself forever.
          trust: async did => did !== hubKey.did && await init.trust(did),
          maxTtlSeconds: MAX_LOGIN_TTL_SECONDS,
          clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
          now
        })
      } catch (err) {
        if (hasCode(err, 'ID_ERR_TOKEN_UNTRUSTED')) throw new VHUB_ERR_UNTRUSTED((err as Error).message, { cause: err })
        throw new VHUB_ERR_LOGIN_TOKEN(`${(err as { code?: string }).code ?? 'invalid'}: ${(err as Error).message}`, { cause: err })
      }
      const { issuer, claims } = verified
      if (claims.typ === SESSION_TYP) throw new VHUB_ERR_LOGIN_TOKEN('a session token is not a login token')
      if (claims.purpose !== LOGIN_PURPOSE) throw new VHUB_ERR_LOGIN_TOKEN(`a login token carries the claim purpose: "${LOGIN_PURPOSE}"`)
      if (typeof claims.jti !== 'string' || claims.jti === '' || claims.jti.length > 128) throw new VHUB_ERR_LOGIN_TOKEN('no "jti" claim')
      const app = claims.app
      if (app !== undefined && (typeof app !== 'string' || !NAME_PATTERN.test(app))) throw new VHUB_ERR_LOGIN_TOKEN('the "app" claim is not a valid app id')
      const user = init.users === undefined ? issuer : await init.users(issuer)
      if (user === undefined) throw new VHUB_ERR_UNTRUSTED(`${issuer} is trusted but is no user of this zone`)
      if (typeof user !== 'string' || !NAME_PATTERN.test(user)) throw new VHUB_ERR_UNTRUSTED(`${issuer} maps to an unusable user id`)
      // Claimed only once everything else passed: a refused token leaves no trace.
      const until = ((claims.exp as number) + CLOCK_TOLERANCE_SECONDS) * 1000
      const jti = `${issuer} ${claims.jti}`
      if (usedJtis.has(jti)) throw new VHUB_ERR_LOGIN_REPLAYED()
      if (!usedJtis.add(jti, until)) throw new VHUB_ERR_BUSY('too many logins in flight')
      const pair = await issue({ family: randomBytes(16).toString('base64url'), user, signer: issuer, ...(app !== undefined ? { app: app as string } : {}) })
      log.info({ user, app, signer: issuer }, 'login')
      return pair
    })
  }

  async function refresh (refreshToken: unknown, from?: string): Promise<TokenPair> {
    return await limited(from, async () => {
      const hash = refreshHash(refreshToken, 'refresh')
      const record = hash === undefined ? undefined : await store.get(hash)
      if (hash === undefined || record === undefined || record.expiresAt <= now()) throw new VHUB_ERR_REFRESH_UNKNOWN()
      if (record.used || !(await store.markUsed(hash))) {
        const n = await revokeLogin(record.family)
        log.warn({ user: record.user, signer: record.signer, revoked: n }, 'refresh token reused: login revoked')
        throw new VHUB_ERR_REFRESH_REUSED()
      }
      // A device or key removed from the zone loses its logins at the next refresh.
      if (record.signer !== hubKey.did && !(await init.trust(record.signer))) {
        await revokeLogin(record.family)
        throw new VHUB_ERR_UNTRUSTED(`${record.signer} is no longer a trusted signer here`)
      }
      return await issue({ family: record.family, user: record.user, signer: record.signer, ...(record.app !== undefined ? { app: record.app } : {}) })
    })
  }

  async function verify (sessionToken: unknown): Promise<VerifyAnswer> {
    if (typeof sessionToken !== 'string') throw new VHUB_ERR_BAD_PARAMS('verify', '"session_token" must be a string')
    try {
      const s = await verifySessionToken(sessionToken, { hubDid: hubKey.did, zone: init.zone, clockToleranceSeconds: 0, now })
      // Logged out or reuse-revoked: the login's sessions end with it.
      if (s.sid !== undefined && revoked.has(s.sid)) return { valid: false, reason: VHUB_ERR_SESSION_REVOKED.code }
      return { valid: true, user: s.user, ...(s.app !== undefined ? { app: s.app } : {}), expires_at: s.exp }
    } catch (err) {
      const code = (err as { code?: unknown }).code
      if (typeof code === 'string' && code.startsWith('VHUB_ERR_SESSION_')) return { valid: false, reason: code }
      throw err
    }
  }

  async function logout (refreshToken: unknown): Promise<{ revoked: boolean }> {
    const hash = refreshHash(refreshToken, 'logout')
    const record = hash === undefined ? undefined : await store.get(hash)
    if (record === undefined) return { revoked: false }
    await revokeLogin(record.family)
    log.info({ user: record.user }, 'logout')
    return { revoked: true }
  }

  const hub = { did: hubKey.did, loginByJwt, refresh, verify, logout }
  const handler = createVerifyHubHandler({
    hub,
    logger: log,
    clientAddress: init.clientAddress ?? (req => req.socket.remoteAddress ?? 'unknown'),
    retryAfter: from => limiter.retryAfter(from)
  })
  return { ...hub, handler }
}

/** The stored form of a refresh token; undefined when it cannot be one of ours. */
function refreshHash (token: unknown, method: string): string | undefined {
  if (typeof token !== 'string' || token.length > 256) throw new VHUB_ERR_BAD_PARAMS(method, '"refresh_token" must be a string')
  return REFRESH_TOKEN.test(token) ? hashOf(token) : undefined
}

function hashOf (token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
