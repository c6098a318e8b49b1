import t from 'tap'
import { createMemoryRefreshStore, type RefreshRecord } from '../../../src/verify-hub/refresh-store.ts'

const rec = (family: string, expiresAt = 1000): RefreshRecord => ({ family, user: 'bob', signer: 'did:dev:x', expiresAt, used: false })

t.test('markUsed is one-shot; revokeFamily drops exactly that family', async t => {
  const s = createMemoryRefreshStore()
  s.put('a1', rec('A'))
  s.put('a2', rec('A'))
  s.put('b1', rec('B'))
  t.equal(s.markUsed('a1'), true)
  t.equal(s.markUsed('a1'), false)
  t.equal(s.markUsed('nope'), false)
  t.equal((await s.get('a1'))!.used, true)
  t.equal(s.revokeFamily('A'), 2)
  t.equal(s.get('a1'), undefined)
  t.equal(s.get('a2'), undefined)
  t.same(s.get('b1'), rec('B'))
  t.equal(s.revokeFamily('A'), 0)
})

t.test('records returned are copies', async t => {
  const s = createMemoryRefreshStore()
  s.put('a', rec('A'))
  const r = (await s.get('a'))!
  r.used = true
  t.equal((await s.get('a'))!.used, false)
})

t.test('bounded, least recently used first; prune drops expired', async t => {
  const s = createMemoryRefreshStore({ maxRecords: 3 })
  s.put('1', rec('F1'))
  s.put('2', rec('F2'))
  s.put('3', rec('F3', 5000))
  s.get('1') // 1 is now the most recent
  s.put('4', rec('F4'))
  t.equal(s.size, 3)
  t.equal(s.get('2'), undefined, 'the least recently used went')
  t.ok(s.get('1'))
  t.equal(s.revokeFamily('F2'), 0, 'and its family index with it')
  t.equal(s.prune(1000), 2, 'expiresAt ≤ now is expired')
  t.equal(s.size, 1)
  t.ok(s.get('3'))
})
