// One behaviour for every KvStore backend: the sqlite and etcd test files run this suite. Each
// subtest opens a fresh store (etcd: a fresh key prefix). `hooks.compact` makes the history
// before the current revision unavailable, the backend's own way.
import type { t as Tap } from 'tap'
import type { KvStore, WatchEvent } from '../../../../src/sysconfig/store/types.ts'
import { MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../../../../src/sysconfig/store/limits.ts'
import { modelProperty } from './model.ts'

export interface ConformanceHooks { compact (store: KvStore): Promise<void> }

const code = (c: string): { code: string } => ({ code: c })

export function conformance (t: typeof Tap, name: string, open: () => Promise<KvStore>, hooks: ConformanceHooks): void {
  const fresh = async (st: { teardown (fn: () => unknown): void }): Promise<KvStore> => {
    const store = await open()
    st.teardown(async () => { await store.close() })
    return store
  }

  t.test(`${name}: get, set and a store-wide monotonic revision`, async t => {
    const s = await fresh(t)
    const r0 = await s.revision()
    t.equal(await s.get('k'), undefined, 'absent key reads undefined')
    const r1 = await s.set('k', 'v1')
    t.ok(r1 > r0, 'set bumps the revision')
    t.same(await s.get('k'), { key: 'k', value: 'v1', revision: r1 })
    const r2 = await s.set('other', 'x')
    const r3 = await s.set('k', '')
    t.ok(r1 < r2 && r2 < r3, 'every write gets a larger revision')
    t.same(await s.get('k'), { key: 'k', value: '', revision: r3 }, 'empty values are values')
    t.equal(await s.revision(), r3, 'revision() is the last write')
    t.same(await s.get('other'), { key: 'other', value: 'x', revision: r2 }, "an entry's revision is its last change")
    const unicode = 'ключ/😀/é'
    await s.set(unicode, 'значение 😀')
    t.equal((await s.get(unicode))?.value, 'значение 😀', 'unicode keys and values round-trip')
  })

  t.test(`${name}: create, delete, append`, async t => {
    const s = await fresh(t)
    const r1 = await s.create('c', 'one')
    await t.rejects(s.create('c', 'two'), code('SYSCFG_ERR_EXISTS'))
    t.same(await s.get('c'), { key: 'c', value: 'one', revision: r1 }, 'a failed create changes nothing')
    t.equal(await s.revision(), r1, 'a failed create bumps no revision')
    const r2 = await s.delete('c')
    t.ok(r2 !== undefined && r2 > r1, 'delete returns the new revision')
    t.equal(await s.get('c'), undefined)
    t.equal(await s.delete('c'), undefined, 'deleting an absent key answers undefined')
    t.equal(await s.revision(), r2, '... and bumps no revision')
    t.ok(await s.create('c', 'again') > (r2 ?? 0), 'create after delete works')
    const a1 = await s.append('log', 'a')
    const a2 = await s.append('log', 'bc')
    t.ok(a2 > a1)
    t.same(await s.get('log'), { key: 'log', value: 'abc', revision: a2 }, 'append creates, then concatenates')
  })

  t.test(`${name}: list gives direct children, de-duplicated`, async t => {
    const s = await fresh(t)
    for (const key of ['a/b/c', 'a/b/d', 'a/x', 'a', 'ab', 'a/y/z/w', 'b/q']) await s.set(key, '1')
    t.same(await s.list('a/'), ['b', 'x', 'y'])
    t.same(await s.list('a'), ['b', 'x', 'y'], 'a prefix without the slash lists the same directory')
    t.same(await s.list('a/b/'), ['c', 'd'])
    t.same(await s.list(''), ['a', 'ab', 'b'], 'the root lists top-level names')
    t.same(await s.list('none/'), [])
  })

  t.test(`${name}: setByJsonPath`, async t => {
    const s = await fresh(t)
    await s.setByJsonPath('j', '$.a.b[0]', { x: 1 })
    t.same(JSON.parse((await s.get('j'))!.value), { a: { b: [{ x: 1 }] } }, 'an absent key starts from an empty document')
    await s.setByJsonPath('j', '/a/c', 'text')
    await s.setByJsonPath('j', '/a/b/-', 2)
    await s.setByJsonPath('j', "$['a']['b'][0].x", null)
    await s.setByJsonPath('j', '/we~1ird~0', true)
    t.same(JSON.parse((await s.get('j'))!.value), { a: { b: [{ x: null }, 2], c: 'text' }, 'we/ird~': true }, 'both path spellings work')
    const r = await s.revision()
    await s.set('plain', 'not json')
    await t.rejects(s.setByJsonPath('plain', '$.a', 1), code('SYSCFG_ERR_NOT_JSON'))
    await t.rejects(s.setByJsonPath('j', '$.a.b[7]', 1), code('SYSCFG_ERR_BAD_JSON_PATH'), 'index past the end')
    await t.rejects(s.setByJsonPath('j', '$.a.c.d', 1), code('SYSCFG_ERR_BAD_JSON_PATH'), 'steps into a string')
    await t.rejects(s.setByJsonPath('j', 'a.b', 1), code('SYSCFG_ERR_BAD_JSON_PATH'), 'no leading $ or /')
    await t.rejects(s.setByJsonPath('j', '$.a', undefined), code('SYSCFG_ERR_BAD_VALUE'))
    t.equal(await s.revision(), r + 1, 'failed updates change nothing')
    await s.setByJsonPath('j', '$', [1])
    t.equal((await s.get('j'))!.value, '[1]', '"$" replaces the whole document')
  })

  t.test(`${name}: tx is atomic, one revision, compare-and-set`, async t => {
    const s = await fresh(t)
    const r1 = await s.set('x', '1')
    await s.set('gone', 'g')
    const done = await s.tx([
      { op: 'set', key: 'x', value: '2' }, { op: 'create', key: 'y', value: 'new' },
      { op: 'append', key: 'y', value: '+' }, { op: 'delete', key: 'gone' }, { op: 'delete', key: 'never' }
    ], { key: 'x', revision: r1 })
    t.equal(done.ok, true)
    t.same(await s.get('x'), { key: 'x', value: '2', revision: done.revision })
    t.same(await s.get('y'), { key: 'y', value: 'new+', revision: done.revision }, 'actions see earlier actions')
    t.equal(await s.get('gone'), undefined)
    t.equal(await s.revision(), done.revision, 'the whole tx is one revision')

    const failed = await s.tx([{ op: 'set', key: 'x', value: '3' }, { op: 'delete', key: 'y' }], { key: 'x', revision: r1 })
    t.same(failed, { ok: false, revision: done.revision }, 'a stale compare fails with the current revision')
    t.equal((await s.get('x'))?.value, '2', 'nothing changed')
    t.equal((await s.get('y'))?.value, 'new+')

    t.equal((await s.tx([{ op: 'set', key: 'z', value: '1' }], { key: 'z', revision: 0 })).ok, true, 'revision 0: absent key passes')
    t.equal((await s.tx([{ op: 'set', key: 'z', value: '2' }], { key: 'z', revision: 0 })).ok, false, 'revision 0: present key fails')
    const before = await s.revision()
    await t.rejects(s.tx([{ op: 'set', key: 'w', value: '1' }, { op: 'create', key: 'x', value: 'dup' }]), code('SYSCFG_ERR_EXISTS'))
    t.equal(await s.get('w'), undefined, 'a create failing inside a tx undoes the earlier actions')
    t.equal(await s.revision(), before)
    const empty = await s.tx([])
    t.same(empty, { ok: true, revision: before }, 'an empty tx bumps nothing')
  })

  t.test(`${name}: watch replays changes in order from a revision`, async t => {
    const s = await fresh(t)
    const from = await s.revision()
    const r1 = await s.set('w/a', '1')
    await s.set('other/x', 'not watched')
    const rt = await s.tx([{ op: 'set', key: 'w/b', value: '2' }, { op: 'delete', key: 'w/a' }])
    const r3 = await s.append('w/b', '3')
    const all = await s.watch('w/', from, { timeoutMs: 0 })
    t.same(all.events, [
      { type: 'put', key: 'w/a', value: '1', revision: r1 },
      { type: 'put', key: 'w/b', value: '2', revision: rt.revision },
      { type: 'delete', key: 'w/a', revision: rt.revision },
      { type: 'put', key: 'w/b', value: '23', revision: r3 }
    ], 'only the prefix, in order, a tx at one revision')
    t.equal(all.revision, r3)
    const later = await s.watch('w/', r1, { timeoutMs: 0 })
    t.same(later.events.map(e => e.revision), [rt.revision, rt.revision, r3], 'from a revision: strictly after it')
    const page = await s.watch('w/', from, { timeoutMs: 0, limit: 2 })
    t.same(page.events.map(e => e.key), ['w/a', 'w/b', 'w/a'], 'the limit never splits a transaction')
    t.equal(page.revision, rt.revision, 'a cut answer names the last revision it holds')
    const rest = await s.watch('w/', page.revision, { timeoutMs: 0, limit: 2 })
    t.same(rest.events, [{ type: 'put', key: 'w/b', value: '23', revision: r3 }], 'resuming from it loses nothing')
  })

  t.test(`${name}: watch waits for a write, or times out`, async t => {
    const s = await fresh(t)
    const from = await s.revision()
    const started = Date.now()
    const pending = s.watch('wake/', from, { timeoutMs: 20_000 })
    // The write goes in once the watch is parked (the next macrotask at the earliest).
    await new Promise(resolve => setImmediate(resolve))
    const r = await s.set('wake/me', 'up')
    const got = await pending
    t.same(got.events, [{ type: 'put', key: 'wake/me', value: 'up', revision: r }])
    t.ok(Date.now() - started < 10_000, 'woken by the write, long before the timeout')

    const now = await s.revision()
    const t0 = Date.now()
    const idle = await s.watch('wake/', now, { timeoutMs: 150 })
    t.same(idle, { events: [], revision: now }, 'timeout: no events and the current revision')
    t.ok(Date.now() - t0 >= 140, 'it did wait')

    const ac = new AbortController()
    const aborted = s.watch('wake/', now, { timeoutMs: 20_000, signal: ac.signal })
    ac.abort()
    await t.rejects(aborted, code('SYSCFG_ERR_WATCH_ABORTED'))

    const parked = s.watch('wake/', now, { timeoutMs: 20_000 })
    await new Promise(resolve => setTimeout(resolve, 20))
    const closedAt = Date.now()
    const ended = t.rejects(parked, code('SYSCFG_ERR_CLOSED'), 'close() ends parked watches')
    await s.close()
    await ended
    t.ok(Date.now() - closedAt < 5000, '... at once')
  })

  t.test(`${name}: watch from compacted history`, async t => {
    const s = await fresh(t)
    const from = await s.revision()
    await s.set('h/1', 'a')
    await hooks.compact(s)
    const err = await s.watch('h/', from, { timeoutMs: 0 }).then(() => undefined, (e: unknown) => e) as { code?: string, oldestRevision?: number } | undefined
    t.equal(err?.code, 'SYSCFG_ERR_COMPACTED')
    const oldest = err?.oldestRevision ?? -1
    t.ok(oldest > from && oldest <= await s.revision(), `it names the oldest usable revision (${oldest})`)
    const ok = await s.watch('h/', oldest, { timeoutMs: 0 })
    t.ok(Array.isArray(ok.events), 'watching from there works')
  })

  t.test(`${name}: errors are coded`, async t => {
    const s = await fresh(t)
    await t.rejects(s.set('', 'v'), code('SYSCFG_ERR_BAD_KEY'))
    await t.rejects(s.get('a\0b'), code('SYSCFG_ERR_BAD_KEY'))
    await t.rejects(s.set('k'.repeat(MAX_KEY_BYTES + 1), 'v'), code('SYSCFG_ERR_BAD_KEY'))
    await t.rejects(s.set('\ud800', 'v'), code('SYSCFG_ERR_BAD_KEY'), 'lone surrogate')
    await s.set('k'.repeat(MAX_KEY_BYTES), 'v')
    await t.rejects(s.set('big', 'x'.repeat(MAX_VALUE_BYTES + 1)), code('SYSCFG_ERR_VALUE_TOO_LARGE'))
    await s.set('big', 'x'.repeat(MAX_VALUE_BYTES - 1))
    await t.rejects(s.append('big', 'yy'), code('SYSCFG_ERR_VALUE_TOO_LARGE'), 'append past the limit')
    await t.rejects(s.set('k', 5 as unknown as string), code('SYSCFG_ERR_BAD_VALUE'))
    await t.rejects(s.tx([{ op: 'nope', key: 'k' } as never]), code('SYSCFG_ERR_BAD_TX'))
    await t.rejects(s.tx([], { key: 'k', revision: -1 }), code('SYSCFG_ERR_BAD_REVISION'))
    await t.rejects(s.watch('', -1, { timeoutMs: 0 }), code('SYSCFG_ERR_BAD_REVISION'))
    await t.rejects(s.list('a\0'), code('SYSCFG_ERR_BAD_KEY'))
    await s.close()
    await t.rejects(s.get('k'), code('SYSCFG_ERR_CLOSED'))
  })

  t.test(`${name}: random operations match a model`, async t => {
    const runs = await modelProperty(open)
    t.ok(runs > 0, `${runs} random sequences matched the model`)
  })
}

export type { WatchEvent }
