// One write path for both backends: every write (set, create, delete, append, setByJsonPath, tx)
// is a list of actions planned against a snapshot of the keys it touches. The plan is the final
// change per key, so a transaction touching a key twice yields one event for it, and both
// backends produce the same revisions and the same watch events.
import type { TxAction } from './types.ts'
import { SYSCFG_ERR_BAD_TX, SYSCFG_ERR_EXISTS, SYSCFG_ERR_VALUE_TOO_LARGE } from '../errors.ts'
import { applyJsonPath } from './json-path.ts'
import { checkKey, checkRevision, checkValue, MAX_VALUE_BYTES } from './limits.ts'

export const MAX_TX_ACTIONS = 10_000

export type PlanAction = TxAction | { op: 'json', key: string, path: string, value: unknown }
export interface Current { value: string, createRevision: number, modRevision: number }
export type Change = { type: 'put', value: string } | { type: 'delete' }
export interface Compare { key: string, revision: number }

/** Validates the shape of the actions and returns every key they (and the compare) read. */
export function keysOf (actions: readonly PlanAction[], compare?: Compare): string[] {
  if (!Array.isArray(actions)) throw new SYSCFG_ERR_BAD_TX('actions must be an array')
  if (actions.length > MAX_TX_ACTIONS) throw new SYSCFG_ERR_BAD_TX(`more than ${MAX_TX_ACTIONS} actions`)
  const keys = new Set<string>()
  for (const action of actions) {
    if (action === null || typeof action !== 'object') throw new SYSCFG_ERR_BAD_TX('an action is not an object')
    switch (action.op) {
      case 'set': case 'create': case 'append':
        checkKey(action.key); checkValue(action.value); break
      case 'delete': case 'json':
        checkKey(action.key); break
      default:
        throw new SYSCFG_ERR_BAD_TX(`unknown op ${JSON.stringify((action as { op?: unknown }).op)}`)
    }
    keys.add(action.key)
  }
  if (compare !== undefined) {
    if (compare === null || typeof compare !== 'object') throw new SYSCFG_ERR_BAD_TX('compare is not an object')
    checkKey(compare.key)
    checkRevision(compare.revision, 'compare.revision')
    keys.add(compare.key)
  }
  return [...keys]
}

/**
 * Applies the actions in order to the snapshot. `ok` is false (and nothing changes) when the
 * compare fails; a `create` of a present key throws SYSCFG_ERR_EXISTS (nothing changes either).
 * Deleting an absent key is no change; a plan without changes bumps no revision.
 */
export function plan (actions: readonly PlanAction[], snapshot: ReadonlyMap<string, Current | undefined>, compare?: Compare): { ok: boolean, changes: Map<string, Change> } {
  const changes = new Map<string, Change>()
  if (compare !== undefined) {
    const cur = snapshot.get(compare.key)
    const ok = compare.revision === 0 ? cur === undefined : cur?.modRevision === compare.revision
    if (!ok) return { ok: false, changes }
  }
  const valueOf = (key: string): string | undefined => {
    const change = changes.get(key)
    if (change !== undefined) return change.type === 'put' ? change.value : undefined
    return snapshot.get(key)?.value
  }
  const put = (key: string, value: string): void => {
    if (value.length * 3 > MAX_VALUE_BYTES) {
      const bytes = Buffer.byteLength(value)
      if (bytes > MAX_VALUE_BYTES) throw new SYSCFG_ERR_VALUE_TOO_LARGE(bytes, MAX_VALUE_BYTES)
    }
    changes.set(key, { type: 'put', value })
  }
  for (const action of actions) {
    const current = valueOf(action.key)
    switch (action.op) {
      case 'set': put(action.key, action.value); break
      case 'create':
        if (current !== undefined) throw new SYSCFG_ERR_EXISTS(action.key)
        put(action.key, action.value); break
      case 'append': put(action.key, (current ?? '') + action.value); break
      case 'json': put(action.key, applyJsonPath(action.key, current, action.path, action.value)); break
      case 'delete':
        if (current === undefined) break
        // Deleting what this plan itself created leaves the key as it was before the plan.
        if (snapshot.get(action.key) === undefined) changes.delete(action.key)
        else changes.set(action.key, { type: 'delete' })
        break
    }
  }
  return { ok: true, changes }
}
