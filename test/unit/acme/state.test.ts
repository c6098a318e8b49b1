// fileStateStore and the backoff schedule (waiting for TXT values: test/unit/zone/dns01.test.ts)
// (pebble-challtestsrv on loopback).
import t from 'tap'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileStateStore } from '../../../src/acme/index.ts'
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, nextBackoff, parseBackoff } from '../../../src/acme/backoff.ts'

const work = await mkdtemp(join(tmpdir(), 'acme-state-'))
t.teardown(async () => { await rm(work, { recursive: true, force: true }) })

t.test('fileStateStore: one 0600 file per key, atomic replace, safe keys only', async t => {
  const dir = join(work, 's')
  const store = fileStateStore(dir)
  t.equal(store.get('cert/a/key'), undefined)
  store.set('cert/a/key', 'one')
  store.set('cert/a/key', 'two')
  t.equal(store.get('cert/a/key'), 'two')
  t.equal(fileStateStore(dir).get('cert/a/key'), 'two', 'durable across instances')
  t.equal((await stat(join(dir, 'cert', 'a', 'key'))).mode & 0o777, 0o600)
  t.equal((await stat(join(dir, 'cert'))).mode & 0o777, 0o700)
  t.same(await readdir(join(dir, 'cert', 'a')), ['key'], 'no temporary files left')
  store.delete('cert/a/key')
  store.delete('cert/a/key')
  t.equal(store.get('cert/a/key'), undefined)
  for (const bad of ['../x', 'a/../../x', '/abs', 'a//b', '.', 'a/..', 'x.tmp', '', 'a\\b', 'a/b c']) {
    t.throws(() => store.set(bad, 'v'), { code: 'ACME_ERR_BAD_STATE_KEY' }, bad)
    t.throws(() => store.get(bad), { code: 'ACME_ERR_BAD_STATE_KEY' }, bad)
  }
})

t.test('backoff: 1 min doubling to a 6 h cap, jitter at most 25%', async t => {
  t.equal(nextBackoff(1, 0, () => 0).nextAttemptAt, BACKOFF_MIN_MS)
  t.equal(nextBackoff(2, 0, () => 0).nextAttemptAt, 2 * BACKOFF_MIN_MS)
  t.equal(nextBackoff(3, 0, () => 0.999).nextAttemptAt, Math.floor(4 * BACKOFF_MIN_MS * 1.24975))
  t.equal(nextBackoff(9, 0, () => 0).nextAttemptAt, 256 * BACKOFF_MIN_MS)
  t.equal(nextBackoff(10, 0, () => 0).nextAttemptAt, BACKOFF_MAX_MS)
  t.equal(nextBackoff(10_000, 0, () => 0.999).nextAttemptAt, BACKOFF_MAX_MS)
  t.same(parseBackoff(JSON.stringify({ failures: 2, nextAttemptAt: 5, lastError: 'x' })), { failures: 2, nextAttemptAt: 5 })
  t.equal(parseBackoff('{'), undefined)
  t.equal(parseBackoff('{"failures":"1"}'), undefined)
  t.equal(parseBackoff(undefined), undefined)
})

