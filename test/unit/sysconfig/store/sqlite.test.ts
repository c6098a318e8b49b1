// The conformance suite against the sqlite backend, plus what only a file can show: a store
// survives reopening, and a process killed inside a big transaction leaves nothing of it.
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { openSqliteStore } from '../../../../src/sysconfig/store/sqlite.ts'
import { conformance } from './conformance.ts'

const HISTORY = 50
let n = 0
const dir = t.testdir()

conformance(t, 'sqlite', async () => openSqliteStore({ file: join(dir, `s${n++}.db`), historyLimit: HISTORY }), {
  async compact (store) {
    for (let i = 0; i <= HISTORY; i++) await store.set('compact/filler', String(i))
  }
})

t.test('sqlite: history is trimmed to historyLimit rows at a revision boundary', async t => {
  const s = openSqliteStore({ file: join(dir, 'trim.db'), historyLimit: 4 })
  t.teardown(() => s.close())
  await s.set('a', '1')
  await s.set('a', '2')
  const tx = await s.tx([{ op: 'set', key: 'b', value: '1' }, { op: 'set', key: 'c', value: '1' }])
  await s.set('a', '3')
  // 5 rows now: the oldest revision goes, the tx stays whole.
  const err = await s.watch('', 0, { timeoutMs: 0 }).catch((e: { code: string, oldestRevision: number }) => e)
  t.match(err, { code: 'SYSCFG_ERR_COMPACTED', oldestRevision: 1 })
  const kept = await s.watch('', 1, { timeoutMs: 0 })
  t.same(kept.events.map(e => e.revision), [2, tx.revision, tx.revision, 4])
})

t.test('sqlite: data and revisions survive reopening', async t => {
  const file = join(dir, 'reopen.db')
  const a = openSqliteStore({ file })
  const r = await a.set('k', 'v')
  await a.close()
  const b = openSqliteStore({ file })
  t.teardown(() => b.close())
  t.same(await b.get('k'), { key: 'k', value: 'v', revision: r })
  t.equal(await b.revision(), r)
  t.same((await b.watch('', 0, { timeoutMs: 0 })).events, [{ type: 'put', key: 'k', value: 'v', revision: r }])
})

t.test('sqlite: waiters are bounded', async t => {
  const s = openSqliteStore({ file: join(dir, 'bounded.db'), maxWatches: 2 })
  t.teardown(() => s.close())
  const ac = new AbortController()
  const parked = [s.watch('', 0, { timeoutMs: 20_000, signal: ac.signal }), s.watch('', 0, { timeoutMs: 20_000, signal: ac.signal })]
  await t.rejects(s.watch('', 0, { timeoutMs: 20_000 }), { code: 'SYSCFG_ERR_TOO_MANY_WATCHES' })
  t.same((await s.watch('', 0, { timeoutMs: 0 })).events, [], 'an answer that needs no waiting still works')
  ac.abort()
  for (const p of parked) await t.rejects(p, { code: 'SYSCFG_ERR_WATCH_ABORTED' })
})

t.test('sqlite: SIGKILL inside a big transaction leaves nothing half-done', async t => {
  const file = join(dir, 'crash.db')
  const pre = openSqliteStore({ file })
  const before = await pre.set('before', 'kept')
  await pre.close()
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(import.meta.dirname, 'sqlite-crash-child.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  // The child says "begin" just before its tx; the WAL growing past 4 MiB proves the tx is
  // writing (sqlite spills pages of an open transaction once its cache is full).
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => { if (s.includes('begin')) resolve() })
    child.on('exit', code => reject(new Error(`child exited early (${code})`)))
  })
  const wal = file + '-wal'
  const deadline = Date.now() + 60_000
  while (!(existsSync(wal) && statSync(wal).size > 4 * 1024 * 1024)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the child never got deep into its transaction')
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  child.kill('SIGKILL')
  const [, signal] = await new Promise<[number | null, string | null]>(resolve => child.on('exit', (c, s) => resolve([c, s])))
  t.equal(signal, 'SIGKILL', 'killed, not finished')
  const after = openSqliteStore({ file })
  t.teardown(() => after.close())
  t.equal(await after.revision(), before, 'the revision is the last committed one')
  t.same(await after.get('before'), { key: 'before', value: 'kept', revision: before })
  t.same(await after.list('big/'), [], 'no key of the killed transaction exists')
  t.same((await after.watch('', 0, { timeoutMs: 0 })).events.length, 1, 'and no history of it')
  t.ok(await after.set('big/0', 'x') > before, 'the store takes writes again')
})

t.test('sqlite: a commit by another connection wakes a waiting watch', async t => {
  const file = join(dir, 'two.db')
  const a = openSqliteStore({ file, foreignPollMs: 20 })
  const b = openSqliteStore({ file })
  t.teardown(async () => { await a.close(); await b.close() })
  const from = await a.revision()
  const started = Date.now()
  const parked = a.watch('x/', from, { timeoutMs: 20_000 })
  await new Promise(resolve => setImmediate(resolve))
  const r = await b.set('x/y', 'from b')
  t.same((await parked).events, [{ type: 'put', key: 'x/y', value: 'from b', revision: r }])
  t.ok(Date.now() - started < 10_000, 'seen by polling data_version, not at the timeout')
})
