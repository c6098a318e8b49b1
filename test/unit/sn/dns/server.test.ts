// Authoritative answers as the real `dig` sees them, over UDP and TCP, from a small in-memory zone
// (fixtures.ts): aa, NODATA/NXDOMAIN with the SOA, wildcards, CNAMEs, REFUSED outside our apexes,
// the asker's case, EDNS echo and BADVERS, truncation and the TCP retry.
import t from 'tap'
import { dig } from '../../../helpers/dig.ts'
import { startServer } from './fixtures.ts'

const server = await startServer(t)
const { port } = server

for (const tcp of [false, true]) {
  const via = tcp ? 'tcp' : 'udp'
  const q = async (name: string, type: string, extra: string[] = []): ReturnType<typeof dig> => await dig(port, name, type, { tcp, extra })

  t.test(`${via}: exact name and type → answer with aa`, async t => {
    const r = await q('alice.sn.test', 'A')
    t.equal(r.status, 'NOERROR')
    t.ok(r.flags.includes('aa'), 'aa set')
    t.notOk(r.flags.includes('ra'), 'not recursive')
    t.same(r.answer.map(a => [a.name, a.ttl, a.type, a.data]), [['alice.sn.test.', 300, 'A', '192.0.2.1']])
    t.equal(r.transport, via.toUpperCase())
    const six = await q('alice.sn.test', 'AAAA')
    t.same(six.answer.map(a => a.data), ['2001:db8::1'])
  })

  t.test(`${via}: lookups ignore case, the question keeps the asker's`, async t => {
    const r = await q('ALice.SN.test', 'TXT')
    t.equal(r.status, 'NOERROR')
    t.same(r.question, ['ALice.SN.test. IN TXT'])
    t.same(r.answer.map(a => [a.type, a.data]), [['TXT', '"hello"']])
  })

  t.test(`${via}: name exists, type does not → NODATA with the SOA at the negative TTL`, async t => {
    const r = await q('alice.sn.test', 'MX')
    t.equal(r.status, 'NOERROR')
    t.ok(r.flags.includes('aa'))
    t.same(r.answer, [])
    t.same(r.authority.map(a => [a.name, a.ttl, a.type]), [['sn.test.', 60, 'SOA']], 'ttl = min(3600, minimum 60)')
    t.match(r.authority[0].data, /^ns1\.sn\.test\. hostmaster\.sn\.test\. 1 3600 600 86400 60$/)
  })

  t.test(`${via}: empty non-terminal → NODATA, not NXDOMAIN`, async t => {
    const r = await q('ent.alice.sn.test', 'A')
    t.equal(r.status, 'NOERROR')
    t.same(r.answer, [])
    t.equal(r.authority[0]?.type, 'SOA')
  })

  t.test(`${via}: missing name → NXDOMAIN with the SOA`, async t => {
    const r = await q('nope.sn.test', 'A')
    t.equal(r.status, 'NXDOMAIN')
    t.ok(r.flags.includes('aa'))
    t.same(r.authority.map(a => [a.name, a.ttl, a.type]), [['sn.test.', 60, 'SOA']])
  })

  t.test(`${via}: the longest apex wins`, async t => {
    const r = await q('nope.zone2.sn.test', 'A')
    t.equal(r.status, 'NXDOMAIN')
    t.match(r.authority[0], { name: 'zone2.sn.test.', type: 'SOA', data: /hostmaster\.sn\.test\. 2 / })
    const ok = await q('www.zone2.sn.test', 'A')
    t.same(ok.answer.map(a => a.data), ['192.0.2.20'])
  })

  t.test(`${via}: wildcard synthesis (RFC 4592)`, async t => {
    const r = await q('Anything.alice.sn.test', 'A')
    t.equal(r.status, 'NOERROR')
    t.ok(r.flags.includes('aa'))
    t.same(r.answer.map(a => [a.name, a.ttl, a.data]), [['Anything.alice.sn.test.', 120, '192.0.2.9']], 'owner is the asked name')
    const deeper = await q('x.y.alice.sn.test', 'A')
    t.same(deeper.answer.map(a => [a.name, a.data]), [['x.y.alice.sn.test.', '192.0.2.9']], 'closest encloser alice.sn.test')
    const nodata = await q('anything.alice.sn.test', 'TXT')
    t.equal(nodata.status, 'NOERROR', 'the wildcard exists without TXT: NODATA')
    t.same(nodata.answer, [])
    t.equal(nodata.authority[0]?.type, 'SOA')
    // ent.alice.sn.test exists, so it is the closest encloser and *.alice.sn.test does not apply.
    const blocked = await q('other.ent.alice.sn.test', 'A')
    t.equal(blocked.status, 'NXDOMAIN')
  })

  t.test(`${via}: CNAME at the name, chased inside our data`, async t => {
    const r = await q('www.alice.sn.test', 'A')
    t.equal(r.status, 'NOERROR')
    t.same(r.answer.map(a => [a.name, a.type, a.data]), [['www.alice.sn.test.', 'CNAME', 'alice.sn.test.'], ['alice.sn.test.', 'A', '192.0.2.1']])
    const only = await q('www.alice.sn.test', 'CNAME')
    t.same(only.answer.map(a => a.type), ['CNAME'])
    const ext = await q('ext.alice.sn.test', 'A')
    t.equal(ext.status, 'NOERROR')
    t.same(ext.answer.map(a => [a.type, a.data]), [['CNAME', 'example.org.']], 'target outside: the CNAME alone')
    const dangling = await q('dangling.sn.test', 'A')
    t.equal(dangling.status, 'NXDOMAIN', 'RFC 6604: the RCODE of the chain end')
    t.same(dangling.answer.map(a => a.type), ['CNAME'])
    const loop = await q('loop1.sn.test', 'A')
    t.equal(loop.status, 'NOERROR', 'a loop ends without harm')
    t.same(loop.answer.map(a => a.name), ['loop1.sn.test.', 'loop2.sn.test.'])
  })

  t.test(`${via}: NS at the apex; ANY answers every record`, async t => {
    const ns = await q('sn.test', 'NS')
    t.same(ns.answer.map(a => a.data).sort(), ['ns1.sn.test.', 'ns2.sn.test.'])
    t.ok(ns.flags.includes('aa'))
    const soa = await q('sn.test', 'SOA')
    t.same(soa.answer.map(a => [a.ttl, a.type]), [[3600, 'SOA']])
    const any = await q('alice.sn.test', 'ANY')
    t.same(any.answer.map(a => a.type).sort(), ['A', 'AAAA', 'TXT'])
  })

  t.test(`${via}: outside our apexes → REFUSED, no answer, no aa`, async t => {
    for (const name of ['example.org', 'notsn.test', '.']) {
      const r = await q(name, 'A')
      t.equal(r.status, 'REFUSED', name)
      t.same(r.answer, [])
      t.notOk(r.flags.includes('aa'))
    }
    const chaos = await dig(port, 'version.bind', 'TXT', { tcp, extra: ['-c', 'CH'] })
    t.equal(chaos.status, 'REFUSED', 'class CH')
  })

  t.test(`${via}: EDNS echo, BADVERS, and no OPT without EDNS`, async t => {
    const r = await q('alice.sn.test', 'A')
    t.same(r.edns, { version: 0, flags: '', udp: 1232 })
    const none = await q('alice.sn.test', 'A', ['+noedns'])
    t.equal(none.edns, undefined)
    t.equal(none.status, 'NOERROR')
    const bad = await q('alice.sn.test', 'A', ['+edns=1', '+noednsnegotiation'])
    t.equal(bad.status, 'BADVERS')
    t.equal(bad.edns?.version, 0)
    t.same(bad.answer, [])
  })

  t.test(`${via}: a record that cannot be encoded → SERVFAIL, the server keeps serving`, async t => {
    const r = await q('bad.sn.test', 'A')
    t.equal(r.status, 'SERVFAIL')
    t.same(r.answer, [])
    t.equal((await q('alice.sn.test', 'A')).status, 'NOERROR')
  })
}

t.test('udp: an answer over the limit is truncated (TC, question and OPT kept); dig retries over TCP', async t => {
  const cut = await dig(port, 'big.sn.test', 'TXT', { extra: ['+ignore'] })
  t.ok(cut.flags.includes('tc'), 'tc set')
  t.same(cut.answer, [])
  t.same(cut.question, ['big.sn.test. IN TXT'])
  t.same(cut.edns, { version: 0, flags: '', udp: 1232 }, 'OPT kept')
  t.ok((cut.size ?? 0) <= 1232)
  const full = await dig(port, 'big.sn.test', 'TXT')
  t.ok(full.retriedOverTcp, 'dig retried')
  t.equal(full.transport, 'TCP')
  t.equal(full.answer.length, 40)
  t.ok(server.stats.truncated >= 2)
})

t.test('udp: 512 bytes without EDNS, the advertised size with it (capped at ours)', async t => {
  const classic = await dig(port, 'medium.sn.test', 'TXT', { extra: ['+noedns', '+ignore'] })
  t.ok(classic.flags.includes('tc'), '~650 bytes > 512')
  const edns = await dig(port, 'medium.sn.test', 'TXT', { extra: ['+ignore'] })
  t.notOk(edns.flags.includes('tc'), 'fits 1232')
  t.equal(edns.answer.length, 1)
  t.match(edns.answer[0].data, /^"m{255}" "m{45}" "n{255}" "n{45}"$/, '300-byte strings split into 255-byte character-strings')
  const small = await dig(port, 'medium.sn.test', 'TXT', { extra: ['+bufsize=600', '+ignore'] })
  t.ok(small.flags.includes('tc'), 'the asker advertised 600')
})

t.test('maxUdpPayload: advertised in OPT and caps UDP answers', async t => {
  const s = await startServer(t, { maxUdpPayload: 600 })
  const r = await dig(s.port, 'medium.sn.test', 'TXT', { extra: ['+bufsize=4096', '+ignore'] })
  t.equal(r.edns?.udp, 600)
  t.ok(r.flags.includes('tc'))
})

t.test('stats count replies by RCODE', async t => {
  t.ok((server.stats.rcodes.NOERROR ?? 0) > 10)
  t.ok((server.stats.rcodes.NXDOMAIN ?? 0) > 0)
  t.ok((server.stats.rcodes.REFUSED ?? 0) > 0)
  t.ok((server.stats.rcodes.BADVERS ?? 0) > 0)
})
