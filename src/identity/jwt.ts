// Signed tokens and documents: compact JWS with EdDSA (Ed25519), as JWTs. The header's `kid` is
// the signer's did:dev, and a did:dev *is* its public key, so a token carries everything needed
// to check its signature; whether that signer counts is the verifier's `trust` decision (a
// registered device, the zone owner, a token issuer). jose does the JOSE parsing and checks; this
// module pins the algorithm, requires the claims we rely on and maps failures to stable codes.
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto'
import { SignJWT, jwtVerify, decodeProtectedHeader, errors as joseErrors, type JWTPayload } from 'jose'
import { isDid, publicKeyFromDid } from './did.ts'
import { showValue } from '../core/show-value.ts'
import {
  ID_ERR_TOKEN_AUDIENCE, ID_ERR_TOKEN_EXPIRED, ID_ERR_TOKEN_MALFORMED, ID_ERR_TOKEN_SIGNATURE,
  ID_ERR_TOKEN_TOO_LONG, ID_ERR_TOKEN_UNTRUSTED
} from './errors.ts'

export interface Signer {
  /** did:dev of the key: it becomes `iss` and the header's `kid`. */
  did: string
  /** The Ed25519 private key (DeviceKey.signingKey). */
  signingKey: KeyObject
}

export interface SignOptions {
  audience: string | string[]
  ttlSeconds: number
  subject?: string
  /** Clock in milliseconds (tests). */
  now?: () => number
}

export interface VerifyOptions {
  /** The `aud` value this verifier answers to. */
  audience: string
  /** Whether tokens signed by this did are accepted here. */
  trust: (did: string) => boolean | Promise<boolean>
  /** Reject tokens whose lifetime (exp − iat) is longer than this. */
  maxTtlSeconds?: number
  /** Allowed clock skew, seconds (default 30). */
  clockToleranceSeconds?: number
  /** Clock in milliseconds (tests). */
  now?: () => number
}

export interface VerifiedJwt {
  /** did:dev of the signer. */
  issuer: string
  claims: JWTPayload & Record<string, unknown>
}

/** Longest token text accepted: tokens arrive from the network before anything is checked. */
export const MAX_TOKEN_CHARS = 16 * 1024

export async function signJwt (key: Signer, claims: Record<string, unknown>, options: SignOptions): Promise<string> {
  const iat = Math.floor((options.now?.() ?? Date.now()) / 1000)
  const jwt = new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: key.did })
    .setIssuer(key.did)
    .setAudience(options.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + options.ttlSeconds)
    .setJti(randomBytes(16).toString('base64url'))
  if (options.subject !== undefined) jwt.setSubject(options.subject)
  return await jwt.sign(key.signingKey)
}

/** The public key a did:dev names, as node:crypto wants it. */
export function publicKeyObject (did: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKeyFromDid(did)).toString('base64url') }, format: 'jwk' })
}

// Tokens whose signature was checked, by their exact text: a client that reuses its token (see
// cachedToken) costs one signature check per token, not per call (Ed25519 verification is the
// bulk of a call's CPU). Expiry, audience, lifetime and trust are still checked on every use;
// single-use rules (jti) stay with the callers that have them.
const VERIFIED_MAX = 4096
const verified = new Map<string, VerifiedJwt>()

function remember (token: string, v: VerifiedJwt): void {
  if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string)
  verified.set(token, v)
}

/** The checks that do not need the signature again, for a token verified before. */
async function recheck (v: VerifiedJwt, options: VerifyOptions): Promise<VerifiedJwt> {
  const nowS = (options.now?.() ?? Date.now()) / 1000
  const tolerance = options.clockToleranceSeconds ?? 30
  const { exp, iat, aud } = v.claims
  if ((exp as number) + tolerance <= nowS) throw new ID_ERR_TOKEN_EXPIRED()
  if (!(Array.isArray(aud) ? aud.includes(options.audience) : aud === options.audience)) throw new ID_ERR_TOKEN_AUDIENCE()
  if (options.maxTtlSeconds !== undefined && (exp as number) - (iat as number) > options.maxTtlSeconds) {
    throw new ID_ERR_TOKEN_TOO_LONG((exp as number) - (iat as number), options.maxTtlSeconds)
  }
  if (!(await options.trust(v.issuer))) throw new ID_ERR_TOKEN_UNTRUSTED(v.issuer)
  return v
}

export async function verifyJwt (token: string, options: VerifyOptions): Promise<VerifiedJwt> {
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) {
    throw new ID_ERR_TOKEN_MALFORMED('empty, not text, or longer than 16 KiB')
  }
  const known = verified.get(token)
  if (known !== undefined) return await recheck(known, options)
  let kid: unknown
  try {
    const header = decodeProtectedHeader(token)
    if (header.alg !== 'EdDSA') throw new ID_ERR_TOKEN_MALFORMED(`algorithm ${showValue(header.alg)} is not EdDSA`)
    kid = header.kid
  } catch (err) {
    if ((err as { code?: string }).code === 'ID_ERR_TOKEN_MALFORMED') throw err
    throw new ID_ERR_TOKEN_MALFORMED('not a compact JWS', { cause: err })
  }
  if (!isDid(kid)) throw new ID_ERR_TOKEN_MALFORMED('the header has no did:dev "kid"')
  const nowMs = options.now?.() ?? Date.now()
  let payload: JWTPayload
  try {
    ({ payload } = await jwtVerify(token, publicKeyObject(kid), {
      algorithms: ['EdDSA'],
      audience: options.audience,
      issuer: kid,
      requiredClaims: ['iat', 'exp', 'iss', 'aud'],
      clockTolerance: options.clockToleranceSeconds ?? 30,
      currentDate: new Date(nowMs)
    }))
  } catch (err) {
    throw mapJoseError(err)
  }
  if (options.maxTtlSeconds !== undefined && (payload.exp as number) - (payload.iat as number) > options.maxTtlSeconds) {
    throw new ID_ERR_TOKEN_TOO_LONG((payload.exp as number) - (payload.iat as number), options.maxTtlSeconds)
  }
  const result: VerifiedJwt = { issuer: kid, claims: payload as VerifiedJwt['claims'] }
  remember(token, result)
  if (!(await options.trust(kid))) throw new ID_ERR_TOKEN_UNTRUSTED(kid)
  return result
}

function mapJoseError (err: unknown): Error {
  if (err instanceof joseErrors.JWTExpired) return new ID_ERR_TOKEN_EXPIRED({ cause: err })
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new ID_ERR_TOKEN_SIGNATURE({ cause: err })
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return new ID_ERR_TOKEN_AUDIENCE({ cause: err })
    return new ID_ERR_TOKEN_MALFORMED(`claim "${err.claim}": ${err.reason}`, { cause: err })
  }
  return new ID_ERR_TOKEN_MALFORMED((err as Error).message ?? String(err), { cause: err })
}

/**
 * A token source for a client that calls one audience often: a token is signed once and reused
 * until `renewBeforeSeconds` before it expires (for verifiers that do not require single-use
 * tokens, such as system-config; the SN's API does, so its client signs each call).
 */
export function cachedToken (key: Signer, audience: string, ttlSeconds = 300, renewBeforeSeconds = 60): () => Promise<string> {
  let token: string | undefined
  let renewAt = 0
  let pending: Promise<string> | undefined
  return async () => {
    if (token !== undefined && Date.now() < renewAt) return token
    pending ??= signJwt(key, {}, { audience, ttlSeconds }).then(t => {
      token = t
      renewAt = Date.now() + (ttlSeconds - renewBeforeSeconds) * 1000
      return t
    }).finally(() => { pending = undefined })
    return await pending
  }
}
