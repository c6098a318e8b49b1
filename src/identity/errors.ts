// Error registry of the identity area (device keys and their did:dev names).
import { createError } from '../core/errors.ts'

export const ID_ERR_INVALID_DID = createError<[string, string]>('ID_ERR_INVALID_DID', 'invalid device id "%s": %s', TypeError)
export const ID_ERR_INVALID_PUBLIC_KEY = createError<[string]>('ID_ERR_INVALID_PUBLIC_KEY', 'invalid Ed25519 public key: %s', TypeError)
export const ID_ERR_INVALID_KEY = createError<[string]>('ID_ERR_INVALID_KEY', 'invalid Ed25519 key material: %s', TypeError)
export const ID_ERR_NOT_ED25519 = createError<[string]>('ID_ERR_NOT_ED25519', 'peer id is a %s key, not Ed25519: it has no did:dev', TypeError)
export const ID_ERR_KEY_FILE_EXISTS = createError<[string]>('ID_ERR_KEY_FILE_EXISTS', 'key file %s already exists; refusing to overwrite it without force')
export const ID_ERR_KEY_FILE_READ = createError<[string, string]>('ID_ERR_KEY_FILE_READ', 'cannot read key file %s: %s')
export const ID_ERR_INVALID_KEY_FILE = createError<[string, string]>('ID_ERR_INVALID_KEY_FILE', 'key file %s is not an Ed25519 private key in PKCS#8 PEM: %s')
export const ID_ERR_TOKEN_MALFORMED = createError<[string]>('ID_ERR_TOKEN_MALFORMED', 'token rejected: %s')
export const ID_ERR_TOKEN_SIGNATURE = createError<[]>('ID_ERR_TOKEN_SIGNATURE', 'token rejected: the signature does not match its signer')
export const ID_ERR_TOKEN_EXPIRED = createError<[]>('ID_ERR_TOKEN_EXPIRED', 'token rejected: it has expired')
export const ID_ERR_TOKEN_AUDIENCE = createError<[]>('ID_ERR_TOKEN_AUDIENCE', 'token rejected: it was issued for another audience')
export const ID_ERR_TOKEN_TOO_LONG = createError<[number, number]>('ID_ERR_TOKEN_TOO_LONG', 'token rejected: it lives %d s, more than the %d s allowed here')
export const ID_ERR_TOKEN_UNTRUSTED = createError<[string]>('ID_ERR_TOKEN_UNTRUSTED', 'token rejected: %s is not a trusted signer here')
