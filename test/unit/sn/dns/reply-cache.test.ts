// Replies kept by their query's bytes, for an authority with a version: the same answer under the
// new ID, the asker's case kept (a different case is a different query), and nothing stale once
// the version moves. Checked with real dig (UDP, TCP, truncation) and raw queries.
import t from 'tap'
import { dig } from '../../../helpers/dig.ts'
import { memoryAuthority, zoneData, startServer, udpClient, query } from './fixtures.ts'
import type { DnsRecord } from '../../../../src/sn/dns/types.ts'

const data = zoneData()
let version = 1
const authority = { ...memoryAuthority(data), version: () => version }
const server = await startServer(t, { authority })

t.test('a repeated query gets the same reply with its own ID', async t => {
  const c = await udpClient(t)
  c.send(query(0x1111, [['alice.sn.test', 1]]), server.port)
  const first = await c.next()
  c.send(query(0x2222, [['alice.sn.test', 1]]), server.port)
  const second = await c.next()
  t.equal(second.readUInt16BE(0), 0x2222, 'the new query\'s ID')
  t.same(second.subarray(2), first.subarray(2), 'the rest is the same reply')
  t.equal(first.readUInt16BE(0), 0x1111)
})

// dig sends a fresh EDNS client cookie each run, which makes every query unique: ask without one,
// as a resolver with a steady cookie repeats itself.
const NC = { extra: ['+nocookie'] }

t.test('the asker\'s case, and a change of data, are never answered from the cache', async t => {
  const a = await dig(server.port, 'alice.sn.test', 'A', NC)
  const upper = await dig(server.port, 'ALICE.sn.test', 'A', NC)
  t.same(upper.question, ['ALICE.sn.test. IN A'], 'the question echoes this query\'s case')
  t.same(upper.answer.map(r => r.data), a.answer.map(r => r.data))
  data.set('alice.sn.test', [{ type: 'A', address: '192.0.2.99', ttl: 300 } as DnsRecord])
  const stale = await dig(server.port, 'alice.sn.test', 'A', NC)
  t.same(stale.answer.map(r => r.data), a.answer.map(r => r.data), 'without a new version the kept reply stands (the authority said nothing changed)')
  version++
  const fresh = await dig(server.port, 'alice.sn.test', 'A', NC)
  t.same(fresh.answer.map(r => r.data), ['192.0.2.99'], 'a new version: answered afresh')
  const tcp = await dig(server.port, 'alice.sn.test', 'A', { tcp: true, ...NC })
  t.same(tcp.answer.map(r => r.data), ['192.0.2.99'], 'TCP too')
})

t.test('statistics count cached replies like any other', async t => {
  const before = server.stats.rcodes.NXDOMAIN ?? 0
  await dig(server.port, 'nobody.sn.test', 'A', NC)
  await dig(server.port, 'nobody.sn.test', 'A', NC)
  t.equal((server.stats.rcodes.NXDOMAIN ?? 0) - before, 2)
})
