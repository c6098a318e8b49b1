// Differential test: the same zone served by our server and by Debian's bind9 (named), the same
// questions asked of both with dig; status, aa, answers and authority must agree. Names where the
// two knowingly differ are left out: a CNAME loop (bind: SERVFAIL, we: the chain so far) and a
// record bind would refuse to load (an invalid address).
import t from 'tap'
import { existsSync } from 'node:fs'
import { dig, type DigResult } from '../../../helpers/dig.ts'
import { startBind9, zoneText, freeDnsPort, NAMED } from '../../../helpers/bind9.ts'
import { startServer, zoneData } from './fixtures.ts'

if (!existsSync(NAMED)) {
  t.test('same answers as bind9', { skip: 'bind9 is not installed (apt-get install -y bind9)' }, () => {})
} else {
  const data = zoneData()
  for (const n of ['bad.sn.test', 'loop1.sn.test', 'loop2.sn.test']) data.delete(n)
  const ours = await startServer(t)
  const bind = await startBind9({
    dir: t.testdir(),
    port: await freeDnsPort(),
    zones: [
      { apex: 'sn.test', text: zoneText('sn.test', new Map([...data].filter(([n]) => !n.endsWith('zone2.sn.test')))) },
      { apex: 'zone2.sn.test', text: zoneText('zone2.sn.test', data) }
    ]
  })
  t.teardown(async () => await bind.stop())

  const questions: Array<[string, string]> = [
    ['sn.test', 'SOA'], ['sn.test', 'NS'], ['sn.test', 'A'], ['alice.sn.test', 'A'], ['alice.sn.test', 'AAAA'],
    ['alice.sn.test', 'TXT'], ['alice.sn.test', 'MX'], ['ALICE.sn.TEST', 'A'], ['www.alice.sn.test', 'A'],
    ['www.alice.sn.test', 'CNAME'], ['www.alice.sn.test', 'TXT'], ['ext.alice.sn.test', 'A'], ['dangling.sn.test', 'A'],
    ['foo.alice.sn.test', 'A'], ['foo.alice.sn.test', 'TXT'], ['a.b.alice.sn.test', 'A'], ['ent.alice.sn.test', 'A'],
    ['other.ent.alice.sn.test', 'A'], ['a.ent.alice.sn.test', 'A'], ['nope.sn.test', 'A'], ['x.nope.sn.test', 'TXT'],
    ['medium.sn.test', 'TXT'], ['big.sn.test', 'TXT'], ['zone2.sn.test', 'SOA'], ['www.zone2.sn.test', 'A'],
    ['nope.zone2.sn.test', 'A'], ['example.org', 'A']
  ]
  const norm = (r: DigResult): unknown => ({
    status: r.status,
    aa: r.flags.includes('aa'),
    answer: r.answer.map(a => `${a.name.toLowerCase()} ${a.ttl} ${a.type} ${a.data.toLowerCase()}`).sort(),
    authority: r.authority.map(a => `${a.name.toLowerCase()} ${a.ttl} ${a.type}`).sort()
  })
  for (const tcp of [false, true]) {
    t.test(`${tcp ? 'tcp' : 'udp'}: same answers as bind9`, async t => {
      for (const [name, type] of questions) {
        const [a, b] = await Promise.all([dig(ours.port, name, type, { tcp }), dig(bind.port, name, type, { tcp })])
        t.same(norm(a), norm(b), `${name} ${type}`)
      }
    })
  }
}
