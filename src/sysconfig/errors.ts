// system-config errors. Codes are API (see src/core/errors.ts); the RPC layer maps them onto its
// wire answers, so each one names a distinct condition a caller can act on.
import { createError, type GatewayError, type GatewayErrorClass } from '../core/errors.ts'

export const SYSCFG_ERR_BAD_KEY = createError<[string]>(
  'SYSCFG_ERR_BAD_KEY', 'invalid key: %s', TypeError)
export const SYSCFG_ERR_VALUE_TOO_LARGE = createError<[number, number]>(
  'SYSCFG_ERR_VALUE_TOO_LARGE', 'value of %d bytes exceeds the limit of %d bytes', RangeError)
export const SYSCFG_ERR_BAD_VALUE = createError<[string]>(
  'SYSCFG_ERR_BAD_VALUE', 'invalid value: %s', TypeError)
export const SYSCFG_ERR_EXISTS = createError<[string]>(
  'SYSCFG_ERR_EXISTS', 'key %s already exists')
export const SYSCFG_ERR_NOT_JSON = createError<[string]>(
  'SYSCFG_ERR_NOT_JSON', 'the value of %s is not JSON')
export const SYSCFG_ERR_BAD_JSON_PATH = createError<[string, string]>(
  'SYSCFG_ERR_BAD_JSON_PATH', 'JSON path %s: %s')
export const SYSCFG_ERR_BAD_REVISION = createError<[string]>(
  'SYSCFG_ERR_BAD_REVISION', 'invalid revision: %s', RangeError)
export const SYSCFG_ERR_BAD_TX = createError<[string]>(
  'SYSCFG_ERR_BAD_TX', 'invalid transaction: %s', TypeError)
export const SYSCFG_ERR_TOO_MANY_WATCHES = createError<[number]>(
  'SYSCFG_ERR_TOO_MANY_WATCHES', 'too many watches waiting (limit %d)')
export const SYSCFG_ERR_WATCH_ABORTED = createError(
  'SYSCFG_ERR_WATCH_ABORTED', 'watch aborted')
export const SYSCFG_ERR_CLOSED = createError(
  'SYSCFG_ERR_CLOSED', 'the store is closed')
export const SYSCFG_ERR_CONFLICT = createError<[number]>(
  'SYSCFG_ERR_CONFLICT', 'gave up after %d attempts: the keys kept changing under the transaction')
export const SYSCFG_ERR_BACKEND = createError<[string]>(
  'SYSCFG_ERR_BACKEND', 'storage backend failed: %s')

export type CompactedError = GatewayError & { readonly oldestRevision: number }

const CompactedBase = createError<[number, number]>(
  'SYSCFG_ERR_COMPACTED', 'revision %d is compacted; watch from revision %d or later') as unknown as
  new (...args: unknown[]) => GatewayError

/**
 * A watch asked for history the store no longer keeps. `oldestRevision` is the smallest
 * `fromRevision` a watch accepts now; a caller re-reads the state and watches from there.
 */
export const SYSCFG_ERR_COMPACTED = class extends CompactedBase {
  static readonly code = 'SYSCFG_ERR_COMPACTED'
  readonly oldestRevision: number
  constructor (fromRevision: number, oldestRevision: number, options?: { cause?: unknown }) {
    super(fromRevision, oldestRevision, ...(options !== undefined ? [options] : []))
    this.oldestRevision = oldestRevision
  }
} as unknown as GatewayErrorClass<[number, number]> & { new (fromRevision: number, oldestRevision: number, options?: { cause?: unknown }): CompactedError }
Object.defineProperty(SYSCFG_ERR_COMPACTED, 'name', { value: 'SYSCFG_ERR_COMPACTED' })
export const SYSCFG_ERR_BAD_DEVICE_DOC = createError<[string, string]>(
  'SYSCFG_ERR_BAD_DEVICE_DOC', 'device document of %s: %s')
