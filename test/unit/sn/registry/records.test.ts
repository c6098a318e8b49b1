import t from 'tap'
import { openSnRegistry, type SnRegistry } from '../../../../src/sn/registry/registry.ts'
import { snAuthority } from '../../../../src/sn/records.ts'
import type { DnsAuthority, DnsRecord } from '../../../../src/sn/dns/types.ts'
import { answerQuestion } from '../../../../src/sn/dns/answer.ts'
import { QTYPES, QCLASSES, RCODES } from '../../../../src/sn/dns/types.ts'
import { DOMAIN, deviceListDoc, makeKey, zoneProof } from './helpers.ts'

const SOA = { admin: 'hostmaster.sn.test', refresh: 3600, retry: 600, expiration: 1209600, minimum: 60 }

async function setup (t: { teardown (fn: () => unknown): void }): Promise<{ r: SnRegistry, dns: DnsAuthority, zone: string, laptop: { did: string }, phone: { did: string } }> {
  const r = openSnRegistry({ file: ':memory:', domain: DOMAIN, expireEveryMs: 0 })
  t.teardown(() => r.close())
  const dns = snAuthority(r, {
    domain: DOMAIN,
    ns: ['ns1.sn.test', 'ns2.sn.test'],
    ownNames: { 'sn.test': ['127.0.0.1'], 'ns1.sn.test': ['127.0.0.1'], 'ns2.sn.test': ['127.0.0.2', '::1'] },
    relayAddrs: ['198.51.100.1', '2001:db8::1'],
    ttl: 60,
    soa: SOA
  })
  const owner = makeKey()
  const laptop = makeKey()
  const phone = makeKey()
  const zone = `alice.${DOMAIN}`
  await r.registerZone(r.createInvite().code, await zoneProof(owner, zone))
  await r.putDevices(zone, await deviceListDoc(owner, zone, 1, [{ name: 'laptop', did: laptop.did }, { name: 'phone', did: phone.did }]))
  return { r, dns, zone, laptop, phone }
}

function addrs (records: readonly DnsRecord[] | undefined): string[] {
  return (records ?? []).flatMap(r => r.type === 'A' || r.type === 'AAAA' ? [r.address] : [])
}

function serialOf (dns: DnsAuthority): number {
  const soa = dns.records(DOMAIN)?.find(r => r.type === 'SOA')
  return soa?.type === 'SOA' ? soa.serial : -1
}

t.test('apex SOA/NS and the SN\'s own names', async t => {
  const { dns } = await setup(t)
  t.same(dns.apexes(), ['sn.test'])
  const apex = dns.records('sn.test') ?? []
  t.match(apex.find(r => r.type === 'SOA'), { type: 'SOA', primary: 'ns1.sn.test', admin: 'hostmaster.sn.test', minimum: 60, ttl: 60 })
  t.same(apex.filter(r => r.type === 'NS').map(r => r.type === 'NS' && r.ns), ['ns1.sn.test', 'ns2.sn.test'])
  t.same(addrs(apex), ['127.0.0.1'])
  t.same(addrs(dns.records('ns2.sn.test')), ['127.0.0.2', '::1'])
  t.equal(dns.records('nothing.sn.test'), undefined)
  t.equal(dns.hasDescendants('sn.test'), true)
  t.equal(dns.hasDescendants('ns1.sn.test'), false)
})

t.test('zones answer the relay until a device reports direct; devices answer their addresses', async t => {
  const { r, dns, zone, laptop, phone } = await setup(t)
  t.same(addrs(dns.records(zone)), ['198.51.100.1', '2001:db8::1'], 'relay')
  t.same(addrs(dns.records(`*.${zone}`)), ['198.51.100.1', '2001:db8::1'], 'wildcard: relay')
  t.equal(dns.records(`laptop.${zone}`), undefined, 'no report yet')
  const s0 = serialOf(dns)
  r.report(phone.did, { addrs: ['10.0.0.5'], observed: '203.0.113.9', direct: false }, Date.now())
  t.ok(serialOf(dns) > s0, 'serial increases')
  t.same(addrs(dns.records(zone)), ['198.51.100.1', '2001:db8::1'], 'still relayed: nobody is direct')
  t.same(addrs(dns.records(`phone.${zone}`)), ['10.0.0.5'])
  r.report(laptop.did, { addrs: [], observed: '203.0.113.7', direct: true }, Date.now())
  t.same(addrs(dns.records(zone)), ['203.0.113.7'], 'direct: the observed address when none reported')
  t.same(addrs(dns.records(`*.${zone}`)), ['203.0.113.7'])
  r.report(laptop.did, { addrs: ['192.0.2.44', '2001:db8::44'], observed: '203.0.113.7', direct: true }, Date.now())
  t.same(addrs(dns.records(zone)), ['192.0.2.44', '2001:db8::44'], 'direct: the reported addresses')
  t.same(addrs(dns.records(`laptop.${zone}`)), ['192.0.2.44', '2001:db8::44'])
  t.equal(dns.records(`x.laptop.${zone}`), undefined)
  t.equal(dns.hasDescendants(zone), true, 'a zone has its wildcard below it')
  r.deny('zone', zone)
  t.equal(dns.records(zone), undefined, 'denied zones vanish')
  t.equal(dns.records(`laptop.${zone}`), undefined)
})

t.test('TXT records, empty non-terminals and custom-domain apexes', async t => {
  const { r, dns, zone, laptop } = await setup(t)
  r.setTxt(zone, `_acme-challenge.www.${zone}`, 'tok1')
  r.setTxt(zone, `_acme-challenge.www.${zone}`, 'tok2')
  t.same(dns.records(`_acme-challenge.www.${zone}`), [{ type: 'TXT', data: ['tok1'], ttl: 60 }, { type: 'TXT', data: ['tok2'], ttl: 60 }])
  t.equal(dns.records(`www.${zone}`), undefined)
  t.equal(dns.hasDescendants(`www.${zone}`), true, 'www is an empty non-terminal')
  t.equal(dns.hasDescendants(`other.${zone}`), false)
  r.setOwnTxt('_acme-challenge.ns1.sn.test', 'own')
  t.equal(dns.hasDescendants('ns1.sn.test'), true)
  r.removeOwnTxt('_acme-challenge.ns1.sn.test', 'own')
  t.equal(dns.hasDescendants('ns1.sn.test'), false)

  // Wire-level semantics through the DNS server's answer logic (H1's answerQuestion).
  const q = (name: string, type: number): ReturnType<typeof answerQuestion> => answerQuestion(dns, name, type, QCLASSES.IN)
  t.equal(q(`www.${zone}`, QTYPES.A).rcode, RCODES.NOERROR, 'empty non-terminal: NODATA, not NXDOMAIN')
  t.equal(q(`www.${zone}`, QTYPES.A).answers.length, 0)
  t.equal(q('missing.sn.test', QTYPES.A).rcode, RCODES.NXDOMAIN)
  t.same(q(`App.${zone}`, QTYPES.A).answers.map(a => a.record.type === 'A' && a.record.address), ['198.51.100.1'], 'wildcard')

  r.claimDomain(zone, 'example.com')
  t.same(dns.apexes(), ['sn.test'], 'a claimed but unverified domain is not served')
  r.bindDomain(zone, 'example.com')
  t.same(dns.apexes(), ['sn.test', 'example.com'])
  r.report(laptop.did, { addrs: ['192.0.2.44'], direct: true }, Date.now())
  const apex = dns.records('example.com') ?? []
  t.ok(apex.some(x => x.type === 'SOA') && apex.some(x => x.type === 'NS'), 'SOA and NS at the bound apex')
  t.same(addrs(apex), ['192.0.2.44'])
  t.same(addrs(dns.records('*.example.com')), ['192.0.2.44'])
  t.same(addrs(dns.records('laptop.example.com')), ['192.0.2.44'])
  r.setTxt(zone, '_acme-challenge.example.com', 'cd')
  t.same(dns.records('_acme-challenge.example.com'), [{ type: 'TXT', data: ['cd'], ttl: 60 }])
  t.equal(dns.hasDescendants('example.com'), true)
  t.same(q('shop.EXAMPLE.com', QTYPES.A).answers.map(a => a.record.type === 'A' && a.record.address), ['192.0.2.44'])
})

t.test('the serial survives a restart and keeps increasing', async t => {
  const file = `${t.testdir()}/sn.sqlite`
  const opts = { domain: DOMAIN, ns: ['ns1.sn.test'], ownNames: {}, relayAddrs: ['198.51.100.1'], ttl: 60, soa: SOA }
  const r1 = openSnRegistry({ file, domain: DOMAIN, expireEveryMs: 0 })
  r1.setOwnTxt('x.sn.test', 'a')
  r1.setOwnTxt('x.sn.test', 'b')
  const s1 = serialOf(snAuthority(r1, opts))
  r1.close()
  const r2 = openSnRegistry({ file, domain: DOMAIN, expireEveryMs: 0 })
  t.teardown(() => r2.close())
  const dns = snAuthority(r2, opts)
  t.equal(serialOf(dns), s1)
  r2.removeOwnTxt('x.sn.test', 'a')
  t.equal(serialOf(dns), s1 + 1)
})
