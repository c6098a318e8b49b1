// SocksAddress: host/port text ⇄ SocksAddress, the wire form ATYP ADDR PORT, and IPv6 printed in
// node's canonical form (socksv5 garbled IPv6; these round trips are why the codec is ours).
import t from 'tap'
import fc from 'fast-check'
import { isIPv6, SocketAddress } from 'node:net'
import { addressFromHostPort, formatAddress, encodeAddress, decodeAddress } from '../../../src/socks/address.ts'
import type { SocksAddress } from '../../../src/socks/types.ts'

const canonical = (h: string): string => new SocketAddress({ address: h, family: 'ipv6' }).address

function roundTrip (a: SocksAddress): SocksAddress {
  const wire = encodeAddress(a, 'test')
  const r = decodeAddress(wire, 0, 'test')
  if (r === null) throw new Error('expected an address')
  if (r.end !== wire.length) throw new Error(`address took ${r.end} of ${wire.length} bytes`)
  return r.address
}

t.test('addressFromHostPort classifies and canonicalises', async t => {
  const table: Array<[string, number, SocksAddress]> = [
    ['1.2.3.4', 80, { type: 'ipv4', host: '1.2.3.4', port: 80 }],
    ['::1', 1080, { type: 'ipv6', host: '::1', port: 1080 }],
    ['[::1]', 1080, { type: 'ipv6', host: '::1', port: 1080 }],
    ['0:0:0:0:0:0:0:1', 1, { type: 'ipv6', host: '::1', port: 1 }],
    ['2001:DB8:0:0:0:0:0:1', 443, { type: 'ipv6', host: '2001:db8::1', port: 443 }],
    ['[::FFFF:1.2.3.4]', 53, { type: 'ipv6', host: '::ffff:1.2.3.4', port: 53 }],
    ['example.com', 80, { type: 'domain', host: 'example.com', port: 80 }],
    ['bücher.example', 80, { type: 'domain', host: 'bücher.example', port: 80 }],
    ['01.2.3.4', 80, { type: 'domain', host: '01.2.3.4', port: 80 }], // not an IPv4 literal for node
    ['x'.repeat(255), 0, { type: 'domain', host: 'x'.repeat(255), port: 0 }]
  ]
  for (const [host, port, want] of table) t.same(addressFromHostPort(host, port), want, host)
})

t.test('addressFromHostPort refuses what SOCKS cannot carry', async t => {
  const bad: Array<[string, number, string]> = [
    ['', 80, 'empty host'],
    ['x'.repeat(256), 80, '256-byte domain'],
    ['é'.repeat(128), 80, '256 UTF-8 bytes'],
    ['[example.com]', 80, 'brackets around a name'],
    ['fe80::1%eth0', 80, 'zone id'],
    ['[fe80::1%25eth0]', 80, 'zone id in brackets'],
    ['1.2.3.4', -1, 'negative port'],
    ['1.2.3.4', 65536, 'port too big'],
    ['1.2.3.4', 1.5, 'fractional port'],
    ['1.2.3.4', Number.NaN, 'NaN port'],
    ['\ud800', 80, 'lone surrogate']
  ]
  for (const [host, port, why] of bad) t.throws(() => addressFromHostPort(host, port), { code: 'SOCKS_ERR_INVALID_VALUE' }, why)
})

t.test('formatAddress', async t => {
  t.equal(formatAddress({ type: 'ipv4', host: '1.2.3.4', port: 80 }), '1.2.3.4:80')
  t.equal(formatAddress({ type: 'ipv6', host: '2001:db8::1', port: 80 }), '[2001:db8::1]:80')
  t.equal(formatAddress({ type: 'domain', host: 'example.com', port: 80 }), 'example.com:80')
  t.equal(formatAddress(addressFromHostPort('[::ffff:1.2.3.4]', 8080)), '[::ffff:1.2.3.4]:8080')
})

t.test('IPv6 survives the wire in canonical form', async t => {
  const cases: Array<[string, string]> = [
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['fe80::1', 'fe800000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffffffffffffffffffffffffffffffff'],
    ['64:ff9b::1.2.3.4', '0064ff9b000000000000000001020304']
  ]
  for (const [host, hex] of cases) {
    const wire = encodeAddress({ type: 'ipv6', host, port: 443 }, 'test')
    t.equal(wire.subarray(1, 17).toString('hex'), hex, `${host} bytes`)
    const back = roundTrip({ type: 'ipv6', host, port: 443 })
    t.equal(back.host, canonical(host), `${host} canonical`)
    t.ok(isIPv6(back.host), `${host} still IPv6`)
    t.equal(back.port, 443)
  }
})

t.test('decodeAddress: need_more for every prefix, codes for bad types and empty names', async t => {
  for (const a of [addressFromHostPort('1.2.3.4', 1), addressFromHostPort('::1', 2), addressFromHostPort('a.example', 3)]) {
    const wire = encodeAddress(a, 'test')
    for (let i = 0; i < wire.length; i++) t.equal(decodeAddress(wire.subarray(0, i), 0, 'test'), null, `${a.type} prefix ${i}`)
  }
  t.throws(() => decodeAddress(Buffer.from([0x02]), 0, 'test'), { code: 'SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED', socksReply: 0x08 })
  t.throws(() => decodeAddress(Buffer.from([0x03, 0x00]), 0, 'test'), { code: 'SOCKS_ERR_MALFORMED' }, 'empty domain')
  t.throws(() => decodeAddress(Buffer.from([0x03, 0x02, 0xc3, 0x28, 0, 80]), 0, 'test'), { code: 'SOCKS_ERR_MALFORMED' }, 'invalid UTF-8 domain')
  const bom = decodeAddress(Buffer.from([0x03, 0x03, 0xef, 0xbb, 0xbf, 0, 80]), 0, 'test')
  t.equal(bom?.address.host, '\ufeff', 'a leading BOM is data, not stripped')
})

t.test('property: random IPv4/IPv6/domains round trip; IPv6 comes back canonical', async t => {
  const port = fc.integer({ min: 0, max: 0xffff })
  fc.assert(fc.property(fc.ipV6(), port, (host, p) => {
    const back = roundTrip({ type: 'ipv6', host, port: p })
    return back.type === 'ipv6' && back.host === canonical(host) && back.port === p &&
      addressFromHostPort(host, p).host === back.host && addressFromHostPort(`[${host}]`, p).host === back.host
  }), { interruptAfterTimeLimit: 2000, numRuns: 5000 })
  fc.assert(fc.property(fc.ipV4(), port, (host, p) => {
    const back = roundTrip({ type: 'ipv4', host, port: p })
    return back.type === 'ipv4' && back.host === host && back.port === p
  }), { interruptAfterTimeLimit: 1000 })
  fc.assert(fc.property(fc.domain(), port, (host, p) => {
    fc.pre(Buffer.byteLength(host) <= 255)
    const back = roundTrip({ type: 'domain', host, port: p })
    return back.type === 'domain' && back.host === host && back.port === p
  }), { interruptAfterTimeLimit: 1000 })
  t.pass('round trips held')
})
