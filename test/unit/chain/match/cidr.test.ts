import t from 'tap'
import fc from 'fast-check'
import { checkCidr, compileCidrs, cidrCovers, parseCidr } from '../../../../src/chain/match/cidr.ts'

t.test('checkCidr', async t => {
  for (const ok of ['10.0.0.0/8', '10.1.2.3/8', '0.0.0.0/0', '127.0.0.1', '1.2.3.4/32', '::1', '::1/128', '::/0', '2001:db8::/32', '::ffff:10.0.0.0/104']) {
    t.equal(checkCidr(ok), undefined, ok)
  }
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['10.0.0.0/33', /prefix length/],
    ['::/129', /prefix length/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/08', /prefix length/],
    ['10.0.0.0/-1', /prefix length/],
    ['10.0.0.0/8/8', /prefix length/],
    ['10.0.0/8', /not an IP/],
    ['example.com', /not an IP/],
    ['[::1]/128', /not an IP/],
    ['fe80::1%eth0', /not an IP/]
  ]
  for (const [c, why] of bad) t.match(checkCidr(c), why, c)
})

t.test('compileCidrs matches IPv4, IPv6 and IPv4-mapped IPv6', async t => {
  const inList = compileCidrs(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1'])
  const table: Array<[string, boolean]> = [
    ['10.0.0.1', true],
    ['10.255.255.255', true],
    ['11.0.0.1', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['::ffff:10.1.2.3', true], // mapped: matches the IPv4 range
    ['::ffff:a01:203', true], // the same, in hex
    ['::ffff:11.1.2.3', false],
    ['2001:db8::1', true],
    ['2001:db8:ffff::1', true],
    ['2001:db9::1', false],
    ['::1', true],
    ['::2', false],
    ['fe80::1%eth0', false],
    ['', false],
    ['not-an-ip', false]
  ]
  for (const [a, want] of table) t.equal(inList(a), want, a)
  const linkLocal = compileCidrs(['fe80::/10'])
  t.equal(linkLocal('fe80::1%eth0'), true, 'a zone id is ignored')
  t.equal(compileCidrs([])('10.0.0.1'), false, 'an empty list matches nothing')
  t.equal(compileCidrs(['0.0.0.0/0'])('::ffff:1.2.3.4'), true)
})

t.test('compileCidrs throws a coded error on a bad entry', async t => {
  t.throws(() => compileCidrs(['10.0.0.0/8', 'nope']), { code: 'CHAIN_ERR_BAD_CIDR' })
})

t.test('cidrCovers', async t => {
  const table: Array<[string, string, boolean]> = [
    ['10.0.0.0/8', '10.1.0.0/16', true],
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '10.0.0.0/8', true],
    ['10.0.0.0/16', '10.0.0.0/8', false],
    ['10.0.0.0/8', '11.0.0.0/16', false],
    ['0.0.0.0/0', '1.2.3.4', true],
    ['2001:db8::/32', '2001:db8:1::/48', true],
    ['2001:db8::/32', '10.0.0.0/8', false],
    ['::/0', '10.0.0.0/8', false], // families differ: conservative
    ['bad', '10.0.0.0/8', false]
  ]
  for (const [o, i, want] of table) t.equal(cidrCovers(o, i), want, `${o} ⊇ ${i}`)
})

t.test('property: random text gives a reason or a valid CIDR, never a throw', async t => {
  const chars = fc.constantFrom(...'0123456789abcdef:./%x'.split(''))
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 30 }), fc.array(chars, { maxLength: 30 }).map(a => a.join(''))), s => {
    const why = checkCidr(s)
    if (why !== undefined) return typeof why === 'string' && typeof parseCidr(s) === 'string'
    compileCidrs([s]) // must not throw when the check passed
    return true
  }), { interruptAfterTimeLimit: 3000, numRuns: 5000 })
  t.pass('no crash')
})

t.test('property: an IPv4 range matches an address exactly when its mapped form matches', async t => {
  const ip4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map(a => a.join('.'))
  fc.assert(fc.property(ip4, fc.integer({ min: 0, max: 32 }), ip4, (net, prefix, addr) => {
    const f = compileCidrs([`${net}/${prefix}`])
    const n = net.split('.').reduce((x, o) => x * 256 + Number(o), 0)
    const a = addr.split('.').reduce((x, o) => x * 256 + Number(o), 0)
    const size = 2 ** (32 - prefix)
    const want = Math.floor(n / size) === Math.floor(a / size)
    return f(addr) === want && f(`::ffff:${addr}`) === want
  }), { interruptAfterTimeLimit: 3000, numRuns: 3000 })
  t.pass('agrees with arithmetic')
})
