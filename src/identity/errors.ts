// Error registry of the identity area (device keys and their did:dev names).
import { createError } from '../core/errors.ts'

export const ID_ERR_INVALID_DID = createError<[string, string]>('ID_ERR_INVALID_DID', 'invalid device id "%s": %s', TypeError)
export const ID_ERR_INVALID_PUBLIC_KEY = createError<[string]>('ID_ERR_INVALID_PUBLIC_KEY', 'invalid Ed25519 public key: %s', TypeError)
export const ID_ERR_INVALID_KEY = createError<[string]>('ID_ERR_INVALID_KEY', 'invalid Ed25519 key material: %s', TypeError)
export const ID_ERR_NOT_ED25519 = createError<[string]>('ID_ERR_NOT_ED25519', 'peer id is a %s key, not Ed25519: it has no did:dev', TypeError)
export const ID_ERR_KEY_FILE_EXISTS = createError<[string]>('ID_ERR_KEY_FILE_EXISTS', 'key file %s already exists; refusing to overwrite it without force')
export const ID_ERR_KEY_FILE_READ = createError<[string, string]>('ID_ERR_KEY_FILE_READ', 'cannot read key file %s: %s')
export const ID_ERR_INVALID_KEY_FILE = createError<[string, string]>('ID_ERR_INVALID_KEY_FILE', 'key file %s is not an Ed25519 private key in PKCS#8 PEM: %s')
