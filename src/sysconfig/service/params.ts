// Strict decoding of an RPC call's `method` and `params` (untrusted JSON) into a typed call.
// Anything unexpected — a missing or extra field, a wrong type, an odd key — is a coded
// SYSCFG_ERR_INVALID_PARAMS / SYSCFG_ERR_UNKNOWN_METHOD, never a crash. Size limits of keys and
// values are the store's (it answers SYSCFG_ERR_BAD_KEY / SYSCFG_ERR_VALUE_TOO_LARGE).
import type { TxAction } from '../store/types.ts'
import { SYSCFG_ERR_INVALID_PARAMS, SYSCFG_ERR_UNKNOWN_METHOD } from './errors.ts'

export const METHODS = Object.freeze([
  'sys_config_get', 'sys_config_set', 'sys_config_create', 'sys_config_delete', 'sys_config_append',
  'sys_config_list', 'sys_config_set_by_json_path', 'sys_config_exec_tx', 'sys_config_watch'
] as const)

export type MethodName = typeof METHODS[number]

export type RpcCall =
  | { method: 'sys_config_get' | 'sys_config_delete', key: string }
  | { method: 'sys_config_set' | 'sys_config_create' | 'sys_config_append', key: string, value: string }
  | { method: 'sys_config_list', prefix: string }
  | { method: 'sys_config_set_by_json_path', key: string, jsonPath: string, value: unknown }
  | { method: 'sys_config_exec_tx', actions: TxAction[], compare?: { key: string, revision: number } }
  | { method: 'sys_config_watch', prefix: string, revision: number, timeoutMs?: number }

export const MAX_TX_ACTIONS = 128
const MAX_KEY_CHARS = 1024
const MAX_JSON_PATH_CHARS = 1024

type Params = Record<string, unknown>

export function decodeCall (method: unknown, params: unknown): RpcCall {
  if (typeof method !== 'string' || !(METHODS as readonly string[]).includes(method)) {
    throw new SYSCFG_ERR_UNKNOWN_METHOD(typeof method === 'string' ? method.slice(0, 64) : String(typeof method))
  }
  const m = method as MethodName
  if (params === null || typeof params !== 'object' || Array.isArray(params)) bad(m, 'params must be an object')
  const p = params as Params
  switch (m) {
    case 'sys_config_get':
    case 'sys_config_delete':
      only(m, p, ['key'])
      return { method: m, key: key(m, p.key, 'key') }
    case 'sys_config_set':
    case 'sys_config_create':
    case 'sys_config_append':
      only(m, p, ['key', 'value'])
      return { method: m, key: key(m, p.key, 'key'), value: text(m, p.value, 'value') }
    case 'sys_config_list':
      only(m, p, ['key'])
      return { method: m, prefix: prefix(m, p.key, 'key') }
    case 'sys_config_set_by_json_path':
      only(m, p, ['key', 'json_path', 'value'])
      if (!('value' in p)) bad(m, 'value is required')
      if (typeof p.json_path !== 'string' || p.json_path === '' || p.json_path.length > MAX_JSON_PATH_CHARS) {
        bad(m, 'json_path must be a non-empty string such as "$.a.b" or "/a/b"')
      }
      return { method: m, key: key(m, p.key, 'key'), jsonPath: p.json_path as string, value: p.value }
    case 'sys_config_exec_tx':
      only(m, p, ['actions', 'main_key'])
      return { method: m, actions: actions(m, p.actions), ...(p.main_key !== undefined ? { compare: mainKey(m, p.main_key) } : {}) }
    case 'sys_config_watch': {
      only(m, p, ['prefix', 'revision', 'timeout_ms'])
      const call: RpcCall = { method: m, prefix: prefix(m, p.prefix, 'prefix'), revision: count(m, p.revision, 'revision') }
      if (p.timeout_ms !== undefined) call.timeoutMs = count(m, p.timeout_ms, 'timeout_ms')
      return call
    }
  }
}

function bad (m: string, why: string): never {
  throw new SYSCFG_ERR_INVALID_PARAMS(m, why)
}

function only (m: string, p: Params, allowed: string[]): void {
  for (const k of Object.keys(p)) {
    if (!allowed.includes(k)) bad(m, `unknown field ${JSON.stringify(k.slice(0, 64))}; expected ${allowed.join(', ')}`)
  }
}

function text (m: string, v: unknown, name: string): string {
  if (typeof v !== 'string') bad(m, `${name} must be a string`)
  return v as string
}

function count (m: string, v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) bad(m, `${name} must be a non-negative integer`)
  return v as number
}

/**
 * Keys are '/'-separated paths of non-empty segments: no leading, trailing or doubled '/', no
 * control characters. Access rules match segment by segment, so a key must have one spelling.
 */
function key (m: string, v: unknown, name: string): string {
  const k = text(m, v, name)
  const problem = keyProblem(k, false)
  if (problem !== undefined) bad(m, `${name} ${problem}`)
  return k
}

/** A prefix is '' (everything) or a key, optionally ending in '/'. */
function prefix (m: string, v: unknown, name: string): string {
  const k = text(m, v, name)
  if (k === '') return k
  const problem = keyProblem(k, true)
  if (problem !== undefined) bad(m, `${name} ${problem}`)
  return k
}

function keyProblem (k: string, trailingSlash: boolean): string | undefined {
  if (k.length === 0) return 'is empty'
  if (k.length > MAX_KEY_CHARS) return `is longer than ${MAX_KEY_CHARS} characters`
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(k)) return 'contains a control character'
  if (!k.isWellFormed()) return 'is not well-formed UTF-16'
  const body = trailingSlash && k.endsWith('/') ? k.slice(0, -1) : k
  if (body.split('/').some(seg => seg === '')) return 'has an empty segment (leading, trailing or doubled "/")'
  return undefined
}

function actions (m: string, v: unknown): TxAction[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_TX_ACTIONS) bad(m, `actions must be an array of 1 to ${MAX_TX_ACTIONS} actions`)
  return (v as unknown[]).map((a, i) => {
    if (a === null || typeof a !== 'object' || Array.isArray(a)) bad(m, `actions[${i}] must be an object`)
    const act = a as Params
    const where = `actions[${i}]`
    switch (act.op) {
      case 'set':
      case 'create':
      case 'append':
        only(m, act, ['op', 'key', 'value'])
        return { op: act.op, key: key(m, act.key, `${where}.key`), value: text(m, act.value, `${where}.value`) }
      case 'delete':
        only(m, act, ['op', 'key'])
        return { op: 'delete', key: key(m, act.key, `${where}.key`) }
      default:
        return bad(m, `${where}.op must be set, create, delete or append`)
    }
  })
}

function mainKey (m: string, v: unknown): { key: string, revision: number } {
  if (!Array.isArray(v) || v.length !== 2) bad(m, 'main_key must be [key, revision]')
  const [k, r] = v as unknown[]
  return { key: key(m, k, 'main_key[0]'), revision: count(m, r, 'main_key[1]') }
}
