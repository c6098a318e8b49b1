// Argument checks shared by both backends, so both refuse exactly the same input with the same code.
import { showValue } from '../../core/show-value.ts'
import {
  SYSCFG_ERR_BAD_KEY, SYSCFG_ERR_BAD_REVISION, SYSCFG_ERR_BAD_VALUE, SYSCFG_ERR_VALUE_TOO_LARGE
} from '../errors.ts'

export const MAX_KEY_BYTES = 1024
export const MAX_VALUE_BYTES = 1024 * 1024
/** Default cap on events one watch answer carries (a transaction is never split, so it is soft). */
export const DEFAULT_WATCH_LIMIT = 1000

export function checkKey (key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new SYSCFG_ERR_BAD_KEY(`expected a string, got ${typeof key}`)
  if (key.length === 0) throw new SYSCFG_ERR_BAD_KEY('empty')
  if (key.includes('\0')) throw new SYSCFG_ERR_BAD_KEY('contains NUL')
  // A lone surrogate would be stored as U+FFFD and read back as a different key.
  if (!key.isWellFormed()) throw new SYSCFG_ERR_BAD_KEY('not well-formed UTF-16')
  const bytes = Buffer.byteLength(key)
  if (bytes > MAX_KEY_BYTES) throw new SYSCFG_ERR_BAD_KEY(`${bytes} bytes, the limit is ${MAX_KEY_BYTES}`)
}

/** A prefix may be empty (everything); otherwise it follows the key rules. */
export function checkPrefix (prefix: unknown): asserts prefix is string {
  if (prefix === '') return
  checkKey(prefix)
}

export function checkValue (value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new SYSCFG_ERR_BAD_VALUE(`expected a string, got ${typeof value}`)
  // Cheap bound before the exact byte count: UTF-8 never takes more than 3 bytes per UTF-16 unit.
  if (value.length > MAX_VALUE_BYTES) throw new SYSCFG_ERR_VALUE_TOO_LARGE(Buffer.byteLength(value), MAX_VALUE_BYTES)
  if (value.length * 3 > MAX_VALUE_BYTES) {
    const bytes = Buffer.byteLength(value)
    if (bytes > MAX_VALUE_BYTES) throw new SYSCFG_ERR_VALUE_TOO_LARGE(bytes, MAX_VALUE_BYTES)
  }
  if (!value.isWellFormed()) throw new SYSCFG_ERR_BAD_VALUE('not well-formed UTF-16')
}

export function checkRevision (revision: unknown, what: string): asserts revision is number {
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) {
    throw new SYSCFG_ERR_BAD_REVISION(`${what} must be a non-negative integer, got ${showValue(revision)}`)
  }
}

/** list() treats "a" as the directory "a/"; the empty prefix is the root. */
export function listPrefix (prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : prefix + '/'
}

/** Direct child names under prefix, sorted and de-duplicated ("a/b/c" under "a/" gives "b"). */
export function directChildren (prefix: string, keys: Iterable<string>): string[] {
  const names = new Set<string>()
  for (const key of keys) {
    if (!key.startsWith(prefix) || key.length === prefix.length) continue
    const rest = key.slice(prefix.length)
    const slash = rest.indexOf('/')
    names.add(slash === -1 ? rest : rest.slice(0, slash))
  }
  return [...names].sort()
}
