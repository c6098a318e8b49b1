// Coded errors of TLS termination: loading certificates (cert-store.ts) and handshakes
// (terminate.ts). File errors name the file so `validate --check-files` points at it.
import { createError } from '../../core/errors.ts'

export const CHAIN_ERR_TLS_NO_CERTS = createError('CHAIN_ERR_TLS_NO_CERTS', 'tls_terminate needs at least one certificate')
export const CHAIN_ERR_TLS_FILE_UNREADABLE = createError('CHAIN_ERR_TLS_FILE_UNREADABLE', 'cannot read %s: %s')
export const CHAIN_ERR_TLS_BAD_CERT = createError('CHAIN_ERR_TLS_BAD_CERT', '%s is not a usable PEM certificate: %s')
export const CHAIN_ERR_TLS_BAD_KEY = createError('CHAIN_ERR_TLS_BAD_KEY', '%s is not a usable PEM private key: %s')
export const CHAIN_ERR_TLS_KEY_MISMATCH = createError('CHAIN_ERR_TLS_KEY_MISMATCH', 'private key %s does not belong to certificate %s')
export const CHAIN_ERR_TLS_BAD_NAME = createError('CHAIN_ERR_TLS_BAD_NAME', 'server name %s for %s: only exact names and "*.parent" wildcards are allowed')
export const CHAIN_ERR_TLS_HANDSHAKE_FAILED = createError('CHAIN_ERR_TLS_HANDSHAKE_FAILED', 'TLS handshake failed: %s')
export const CHAIN_ERR_TLS_HANDSHAKE_TIMEOUT = createError('CHAIN_ERR_TLS_HANDSHAKE_TIMEOUT', 'TLS handshake not done within %d ms')
export const CHAIN_ERR_TLS_ABORTED = createError('CHAIN_ERR_TLS_ABORTED', 'TLS handshake aborted')
export const CHAIN_ERR_TLS_NO_CERT_PROVIDER = createError<[string, string]>('CHAIN_ERR_TLS_NO_CERT_PROVIDER', 'route %s takes certificate "%s" from ACME, but this process manages no ACME certificates')
export const CHAIN_ERR_TLS_CERT_UNAVAILABLE = createError<[string]>('CHAIN_ERR_TLS_CERT_UNAVAILABLE', 'no certificate to answer with yet: %s')
