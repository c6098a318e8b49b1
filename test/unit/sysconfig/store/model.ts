// Property: a random sequence of writes leaves a backend in the state a plain Map model predicts
// (values, list(), errors, revision bumps), and replaying its watch history rebuilds that state.
import fc from 'fast-check'
import type { KvStore, TxAction } from '../../../../src/sysconfig/store/types.ts'
import { withinTime } from '../../../helpers/within-time.ts'

type Op =
  | { op: 'set' | 'create' | 'append', key: string, value: string }
  | { op: 'delete', key: string }
  | { op: 'json', key: string, n: number }
  | { op: 'tx', actions: TxAction[], compareKey?: string, stale: boolean }

const KEYS = ['a', 'a/b', 'a/c', 'a/b/e', 'b/d', 'c']
const VALUES = ['', 'x', '{}', '{"n":1}', '[1]', '5', 'null']
const key = fc.constantFrom(...KEYS)
const value = fc.constantFrom(...VALUES)
const action: fc.Arbitrary<TxAction> = fc.oneof(
  fc.record({ op: fc.constantFrom('set' as const, 'create' as const, 'append' as const), key, value }),
  fc.record({ op: fc.constant('delete' as const), key }))
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('set' as const, 'create' as const, 'append' as const), key, value }),
  fc.record({ op: fc.constant('delete' as const), key }),
  fc.record({ op: fc.constant('json' as const), key, n: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ op: fc.constant('tx' as const), actions: fc.array(action, { maxLength: 4 }), compareKey: fc.option(key, { nil: undefined }), stale: fc.boolean() }))

/** The model's answer to one op: the new map, or the error code. `changed` says whether a revision is due. */
function modelApply (m: Map<string, string>, revs: Map<string, number>, op: Op): { code?: string, changed: boolean, ok?: boolean } {
  const apply = (target: Map<string, string>, a: TxAction): string | undefined => {
    const cur = target.get(a.key)
    if (a.op === 'set') target.set(a.key, a.value)
    else if (a.op === 'create') { if (cur !== undefined) return 'SYSCFG_ERR_EXISTS'; target.set(a.key, a.value) } else if (a.op === 'append') target.set(a.key, (cur ?? '') + a.value)
    else target.delete(a.key)
    return undefined
  }
  const diff = (next: Map<string, string>): boolean =>
    [...new Set([...m.keys(), ...next.keys()])].some(k => m.get(k) !== next.get(k) || (next.has(k) && !m.has(k)))
  const touched = (next: Map<string, string>, ks: string[]): boolean =>
    ks.some(k => next.has(k) || m.has(k) !== next.has(k))
  const next = new Map(m)
  switch (op.op) {
    case 'json': {
      const cur = m.get(op.key)
      let doc: unknown = null
      if (cur !== undefined) { try { doc = JSON.parse(cur) } catch { return { code: 'SYSCFG_ERR_NOT_JSON', changed: false } } }
      if (doc === null) doc = {}
      if (typeof doc !== 'object' || Array.isArray(doc)) return { code: 'SYSCFG_ERR_BAD_JSON_PATH', changed: false }
      next.set(op.key, JSON.stringify({ ...(doc as object), n: op.n }))
      replace(m, next)
      return { changed: true }
    }
    case 'tx': {
      if (op.compareKey !== undefined) {
        const want = op.stale ? (revs.get(op.compareKey) ?? 0) + 1000 : (revs.get(op.compareKey) ?? 0)
        const have = m.has(op.compareKey) ? revs.get(op.compareKey) : 0
        if (want !== have) return { changed: false, ok: false }
      }
      for (const a of op.actions) { const code = apply(next, a); if (code !== undefined) return { code, changed: false } }
      // A key set then deleted within the tx is no change; a put of an equal value still is one.
      const changed = touched(next, op.actions.filter(a => a.op !== 'delete' || m.has(a.key)).map(a => a.key)) || diff(next)
      replace(m, next)
      return { changed, ok: true }
    }
    case 'delete': {
      const had = m.delete(op.key)
      return { changed: had }
    }
    default: {
      const code = apply(next, op)
      if (code !== undefined) return { code, changed: false }
      replace(m, next)
      return { changed: true }
    }
  }
}

function replace (m: Map<string, string>, next: Map<string, string>): void {
  m.clear()
  for (const [k, v] of next) m.set(k, v)
}

async function storeApply (s: KvStore, revs: Map<string, number>, op: Op): Promise<{ code?: string, revision?: number, ok?: boolean }> {
  try {
    switch (op.op) {
      case 'set': return { revision: await s.set(op.key, op.value) }
      case 'create': return { revision: await s.create(op.key, op.value) }
      case 'append': return { revision: await s.append(op.key, op.value) }
      case 'delete': return { revision: await s.delete(op.key) }
      case 'json': return { revision: await s.setByJsonPath(op.key, '$.n', op.n) }
      case 'tx': {
        const compare = op.compareKey === undefined
          ? undefined
          : { key: op.compareKey, revision: op.stale ? (revs.get(op.compareKey) ?? 0) + 1000 : (revs.get(op.compareKey) ?? 0) }
        const r = await s.tx(op.actions, compare)
        return { revision: r.revision, ok: r.ok }
      }
    }
  } catch (err) {
    return { code: (err as { code?: string }).code ?? String(err) }
  }
}

/** Runs the property (time-boxed to 5 s); returns how many random sequences passed. */
export async function modelProperty (open: () => Promise<KvStore>): Promise<number> {
  let runs = 0
  await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 15 }), withinTime(5000, async ops => {
    const s = await open()
    try {
      const model = new Map<string, string>()
      const revs = new Map<string, number>() // key → revision of its last change (the model's mod_revision)
      const start = await s.revision()
      let last = start
      for (const op of ops) {
        const want = modelApply(model, revs, op)
        const got = await storeApply(s, revs, op)
        if (got.code !== want.code) throw new Error(`${JSON.stringify(op)}: store ${got.code ?? 'ok'}, model ${want.code ?? 'ok'}`)
        if (want.ok !== undefined && got.ok !== want.ok) throw new Error(`${JSON.stringify(op)}: tx ok ${String(got.ok)}, model ${String(want.ok)}`)
        if (want.code === undefined) {
          const now = await s.revision()
          if (want.changed !== (now > last)) throw new Error(`${JSON.stringify(op)}: revision ${last} → ${now}, model changed=${want.changed}`)
          if (want.changed) {
            for (const k of KEYS) { const e = await s.get(k); if (e !== undefined && e.revision === now) revs.set(k, now) }
          }
          last = now
        }
      }
      for (const k of KEYS) {
        const e = await s.get(k)
        if (e?.value !== model.get(k)) throw new Error(`${k}: store ${JSON.stringify(e?.value)}, model ${JSON.stringify(model.get(k))}`)
      }
      const children = (p: string): string[] => [...new Set([...model.keys()].filter(k => k.startsWith(p)).map(k => k.slice(p.length).split('/')[0]))].sort()
      for (const p of ['', 'a/', 'a/b/', 'b/']) {
        const got = await s.list(p)
        if (JSON.stringify(got) !== JSON.stringify(children(p))) throw new Error(`list(${p}): store ${JSON.stringify(got)}, model ${JSON.stringify(children(p))}`)
      }
      // Replaying the history from the start rebuilds the final state.
      const replay = new Map<string, string>()
      const { events } = await s.watch('', start, { timeoutMs: 0, limit: 10_000 })
      let prev = start
      for (const e of events) {
        if (e.revision < prev) throw new Error('watch events out of order')
        prev = e.revision
        if (e.type === 'put') replay.set(e.key, e.value ?? ''); else replay.delete(e.key)
      }
      if (JSON.stringify([...replay].sort()) !== JSON.stringify([...model].sort())) throw new Error(`replay ${JSON.stringify([...replay])} ≠ model ${JSON.stringify([...model])}`)
      runs++
    } finally {
      await s.close()
    }
  })), { numRuns: 200 })
  return runs
}

/** The same random sequence on two backends: same answers, same bumps, same event stream (revisions compared by order). */
export async function crossBackendProperty (openA: () => Promise<KvStore>, openB: () => Promise<KvStore>): Promise<number> {
  let runs = 0
  const trace = async (s: KvStore, ops: Op[]): Promise<unknown[]> => {
    const revs = new Map<string, number>()
    const out: unknown[] = []
    const start = await s.revision()
    let last = start
    for (const op of ops) {
      const got = await storeApply(s, revs, op)
      const now = await s.revision()
      for (const k of KEYS) { const e = await s.get(k); if (e !== undefined && e.revision === now) revs.set(k, now) }
      // Whether this op changed the store, seen through its own history: etcd's revision is
      // cluster-wide, so a write elsewhere (a late write of an earlier test) must not count here.
      const changed = (await s.watch('', last, { timeoutMs: 0, limit: 10_000 })).events.length > 0
      out.push([got.code, got.ok, changed])
      last = now
    }
    const { events } = await s.watch('', start, { timeoutMs: 0, limit: 10_000 })
    const order = [...new Set(events.map(e => e.revision))]
    out.push(events.map(e => [order.indexOf(e.revision), e.type, e.key, e.value]))
    for (const p of ['', 'a/', 'a/b/']) out.push(await s.list(p))
    return out
  }
  await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), withinTime(5000, async ops => {
    const [a, b] = [await openA(), await openB()]
    try {
      const [ta, tb] = [await trace(a, ops), await trace(b, ops)]
      if (JSON.stringify(ta) !== JSON.stringify(tb)) throw new Error(`backends differ on ${JSON.stringify(ops)}:\n${JSON.stringify(ta)}\n${JSON.stringify(tb)}`)
      runs++
    } finally {
      await a.close()
      await b.close()
    }
  })), { numRuns: 200 })
  return runs
}
