import t from 'tap'
import fc from 'fast-check'
import { isIPv6, SocketAddress } from 'node:net'
import { isDeepStrictEqual } from 'node:util'
import {
  parseProxyHeader, encodeProxyV1, encodeProxyV2, V1_MAX_BYTES, V2_MAX_HEADER_BYTES,
  type ProxyAddress, type ProxyResult, type ProxyTlv
} from '../../../../src/chain/probes/proxy-protocol.ts'

const CODES = new Set(['CHAIN_ERR_PROXY_BAD_V1', 'CHAIN_ERR_PROXY_BAD_V2', 'CHAIN_ERR_PROXY_TOO_LARGE'])
const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex')

function done (r: ProxyResult): Extract<ProxyResult, { status: 'done' }> {
  if (r.status !== 'done') throw new Error(`expected done, got ${r.status}`)
  return r
}

/** Parse or return the error code. */
function attempt (buf: Buffer): ProxyResult | string {
  try {
    return parseProxyHeader(buf)
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded ${String(err)}`
  }
}

function v2 (verCmd: number, fam: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2)
  len.writeUInt16BE(body.length)
  return Buffer.concat([SIG, Buffer.from([verCmd, fam]), len, body])
}

t.test('spec examples, v1', async t => {
  const http = 'GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n'
  const line = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n'
  const r = done(parseProxyHeader(Buffer.from(line + http)))
  t.equal(r.bytes, line.length, 'bytes is the header length; the request after it is left alone')
  t.same(r.header, { version: 1, command: 'proxy', transport: 'tcp4', source: { address: '192.168.0.1', port: 56324 }, destination: { address: '192.168.0.11', port: 443 }, tlvs: [] })

  const f = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'
  const worst6 = `PROXY TCP6 ${f} ${f} 65535 65535\r\n`
  const r6 = done(parseProxyHeader(Buffer.from(worst6)))
  t.equal(r6.bytes, worst6.length)
  t.same(r6.header.source, { address: f, port: 65535 })

  const unknown = done(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')))
  t.same(unknown, { status: 'done', bytes: 15, header: { version: 1, command: 'local', transport: 'unspec', tlvs: [] } })

  const worstUnknown = `PROXY UNKNOWN ${f} ${f} 65535 65535\r\n`
  t.equal(worstUnknown.length, V1_MAX_BYTES, 'the spec\'s worst case is exactly 107 bytes')
  t.same(done(parseProxyHeader(Buffer.from(worstUnknown))).header.command, 'local')
  t.equal(attempt(Buffer.from(`PROXY UNKNOWN ${f} ${f} 65535 655355\r\n`)), 'CHAIN_ERR_PROXY_BAD_V1', '108 bytes is too long')
})

t.test('spec example, v2 (haproxy capture: TCP4 172.19.0.1:42578 → 172.19.0.3:80)', async t => {
  const wire = Buffer.from('0d0a0d0a000d0a515549540a2111000cac130001ac130003a6520050474554202f', 'hex')
  const r = done(parseProxyHeader(wire))
  t.equal(r.bytes, 28)
  t.same(r.header, { version: 2, command: 'proxy', transport: 'tcp4', source: { address: '172.19.0.1', port: 42578 }, destination: { address: '172.19.0.3', port: 80 }, tlvs: [] })
})

t.test('not_proxy is decided at the first differing byte', async t => {
  t.equal(parseProxyHeader(Buffer.from([0x16])).status, 'not_proxy', 'a TLS record')
  t.equal(parseProxyHeader(Buffer.from('G')).status, 'not_proxy', 'an HTTP request')
  t.equal(parseProxyHeader(Buffer.from('PRI * HTTP/2.0')).status, 'not_proxy', 'h2 preface differs at the third byte')
  t.equal(parseProxyHeader(Buffer.from('PROX')).status, 'need_more')
  t.equal(parseProxyHeader(Buffer.from('PROXY_')).status, 'not_proxy')
  t.equal(parseProxyHeader(Buffer.from([0x0d, 0x0a, 0x0d])).status, 'need_more')
  t.equal(parseProxyHeader(Buffer.from([0x0d, 0x0a, 0x0a])).status, 'not_proxy')
  t.equal(parseProxyHeader(Buffer.alloc(0)).status, 'need_more')
})

t.test('v1 strictness', async t => {
  const cases: Array<[string, string]> = [
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n', 'ok'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\n', 'ok'],
    ['PROXY TCP6 ::1 2001:DB8::1 1 2\r\n', 'ok'],
    ['PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n', 'leading zero in IPv4'],
    ['PROXY TCP4 ::1 5.6.7.8 1 2\r\n', 'IPv6 in TCP4'],
    ['PROXY TCP6 1.2.3.4 ::1 1 2\r\n', 'IPv4 in TCP6'],
    ['PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n', 'zone id'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n', 'plus sign'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n', 'leading zero in port'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n', 'port too big'],
    ['PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n', 'double space'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n', 'trailing space'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n', 'missing field'],
    ['PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n', 'UDP is not in v1'],
    ['PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n', 'lower case protocol'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n', 'bare LF'],
    ['PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX', 'CR without LF'],
    ['PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n', 'tab']
  ]
  for (const [line, why] of cases) {
    const got = attempt(Buffer.from(line))
    if (why === 'ok') t.equal(typeof got === 'object' && got.status, 'done', line)
    else t.equal(got, 'CHAIN_ERR_PROXY_BAD_V1', why)
  }
  t.equal(done(parseProxyHeader(Buffer.from('PROXY TCP6 0:0:0:0:0:0:0:1 2001:DB8:0::1 1 2\r\n'))).header.destination?.address, '2001:db8::1', 'IPv6 comes out canonical')
  t.equal(attempt(Buffer.from('PROXY ' + 'A'.repeat(120))), 'CHAIN_ERR_PROXY_BAD_V1', 'no CRLF within 107 bytes')
  t.equal(parseProxyHeader(Buffer.from('PROXY ' + 'A'.repeat(90))).status, 'need_more', 'under the limit it waits')
  t.equal(attempt(Buffer.from('PROXY \x00')), 'CHAIN_ERR_PROXY_BAD_V1', 'a control byte is refused at once')
})

t.test('v2 LOCAL, UNSPEC, UNIX, UDP and TLVs', async t => {
  const local = done(parseProxyHeader(encodeProxyV2(undefined, undefined, { command: 'local' })))
  t.same(local, { status: 'done', bytes: 16, header: { version: 2, command: 'local', transport: 'unspec', tlvs: [] } })

  const unspecProxy = done(parseProxyHeader(v2(0x21, 0x00, Buffer.from([0x04, 0x00, 0x01, 0xaa]))))
  t.same(unspecProxy.header, { version: 2, command: 'local', transport: 'unspec', tlvs: [{ type: 4, value: Buffer.from([0xaa]) }] }, 'PROXY over AF_UNSPEC carries no addresses')

  const unix = done(parseProxyHeader(v2(0x21, 0x31, Buffer.concat([Buffer.alloc(216, 0x2f), Buffer.from([0x05, 0x00, 0x02, 1, 2])]))))
  t.equal(unix.bytes, 16 + 216 + 5)
  t.same(unix.header, { version: 2, command: 'local', transport: 'unspec', tlvs: [{ type: 5, value: Buffer.from([1, 2]) }] }, 'AF_UNIX: block skipped, TLVs read')

  const udp6 = Buffer.concat([Buffer.alloc(15), Buffer.from([1]), Buffer.alloc(15), Buffer.from([2]), Buffer.from([0, 53, 0, 54])])
  const u = done(parseProxyHeader(v2(0x21, 0x22, udp6)))
  t.same(u.header, { version: 2, command: 'proxy', transport: 'udp6', source: { address: '::1', port: 53 }, destination: { address: '::2', port: 54 }, tlvs: [] })

  const localTcp = done(parseProxyHeader(v2(0x20, 0x11, Buffer.alloc(12, 7))))
  t.same(localTcp.header, { version: 2, command: 'local', transport: 'unspec', tlvs: [] }, 'LOCAL ignores the address block')
  t.equal(done(parseProxyHeader(v2(0x20, 0x77, Buffer.alloc(3)))).bytes, 19, 'LOCAL tolerates an unknown family')

  const tlvs = [{ type: 0x01, value: Buffer.from('h2') }, { type: 0x02, value: Buffer.from('example.com') }, { type: 0xe0, value: Buffer.alloc(0) }]
  const w = encodeProxyV2({ address: '10.0.0.1', port: 1 }, { address: '10.0.0.2', port: 2 }, { tlvs })
  t.same(done(parseProxyHeader(w)).header.tlvs, tlvs)
})

t.test('v2 errors', async t => {
  const addr4 = Buffer.alloc(12)
  t.equal(attempt(v2(0x11, 0x11, addr4)), 'CHAIN_ERR_PROXY_BAD_V2', 'version 1 in a v2 header')
  t.equal(attempt(v2(0x22, 0x11, addr4)), 'CHAIN_ERR_PROXY_BAD_V2', 'command 2')
  t.equal(attempt(v2(0x21, 0x13, addr4)), 'CHAIN_ERR_PROXY_BAD_V2', 'transport 3')
  t.equal(attempt(v2(0x21, 0x10, addr4)), 'CHAIN_ERR_PROXY_BAD_V2', 'INET with UNSPEC transport is not listed')
  t.equal(attempt(v2(0x21, 0x21, addr4)), 'CHAIN_ERR_PROXY_BAD_V2', 'length shorter than the INET6 block')
  t.equal(attempt(v2(0x21, 0x11, Buffer.concat([addr4, Buffer.from([1, 0, 5, 0])]))), 'CHAIN_ERR_PROXY_BAD_V2', 'TLV overruns the block')
  t.equal(attempt(v2(0x21, 0x11, Buffer.concat([addr4, Buffer.from([1, 0])]))), 'CHAIN_ERR_PROXY_BAD_V2', 'stray bytes after the TLVs')
  // Refused from the fixed 16 bytes alone, before the announced bytes arrive.
  t.equal(attempt(Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0x10, 0x01])])), 'CHAIN_ERR_PROXY_TOO_LARGE', 'one byte over the cap')
  t.equal(attempt(Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0xff, 0xff])])), 'CHAIN_ERR_PROXY_TOO_LARGE')
  t.equal(attempt(Buffer.concat([SIG, Buffer.from([0x21, 0x13, 0x00, 0x0c])])), 'CHAIN_ERR_PROXY_BAD_V2', 'bad family refused without waiting')
  const fill = Buffer.alloc(3 + V2_MAX_HEADER_BYTES - 16 - 12 - 3)
  fill.writeUInt16BE(fill.length - 3, 1)
  const atCap = done(parseProxyHeader(v2(0x21, 0x11, Buffer.concat([addr4, fill]))))
  t.equal(atCap.bytes, V2_MAX_HEADER_BYTES, 'a header of exactly the cap is accepted')
  t.equal(atCap.header.tlvs[0].value.length, V2_MAX_HEADER_BYTES - 16 - 12 - 3)
  t.equal(parseProxyHeader(v2(0x21, 0x11, Buffer.alloc(99)), { maxV2Bytes: 1000 }).status, 'done', 'a raised cap')
  t.equal(attempt(v2(0x21, 0x11, Buffer.alloc(100))), 'CHAIN_ERR_PROXY_BAD_V2', 'zero TLVs of length 0 leave one stray byte')
})

t.test('byte-at-a-time feeding', async t => {
  const headers = [
    encodeProxyV1({ address: '192.0.2.1', port: 1234 }, { address: '198.51.100.2', port: 443 }),
    encodeProxyV1({ address: '2001:db8::1', port: 1 }, { address: '2001:db8::2', port: 2 }),
    Buffer.from('PROXY UNKNOWN\r\n'),
    encodeProxyV2({ address: '2001:db8::1', port: 1 }, { address: '2001:db8::2', port: 2 }, { tlvs: [{ type: 1, value: Buffer.from('http/1.1') }] }),
    encodeProxyV2(undefined, undefined, { command: 'local' })
  ]
  for (const h of headers) {
    const wire = Buffer.concat([h, Buffer.from('\x16\x03\x01 trailing bytes')])
    let verdict: ProxyResult | undefined
    for (let n = 1; n <= wire.length; n++) {
      const r = parseProxyHeader(wire.subarray(0, n))
      if (n < h.length) {
        if (r.status !== 'need_more') { t.fail(`${n}/${h.length} bytes gave ${r.status}`); break }
      } else if (n === h.length) {
        verdict = r
      } else {
        t.same(r, verdict, 'more bytes after the header change nothing')
        break
      }
    }
    t.equal(verdict?.status === 'done' && verdict.bytes, h.length)
  }
})

// fast-check ---------------------------------------------------------------------------------

const canonical6 = (a: string): string => new SocketAddress({ address: a, family: 'ipv6' }).address
const unmapped = (a: string): string => /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a)?.[1] ?? a
const ipv6 = fc.ipV6().filter(a => !a.includes('%')).map(canonical6).filter(a => unmapped(a) === a)
const port = fc.integer({ min: 0, max: 65535 })
const endpoint = (ip: fc.Arbitrary<string>): fc.Arbitrary<ProxyAddress> => fc.record({ address: ip, port }).map(a => ({ address: a.address, port: a.port }))
const pair = fc.oneof(fc.tuple(endpoint(fc.ipV4()), endpoint(fc.ipV4())), fc.tuple(endpoint(ipv6), endpoint(ipv6)))
const tlv: fc.Arbitrary<ProxyTlv> = fc.record({ type: fc.integer({ min: 0, max: 255 }), value: fc.uint8Array({ maxLength: 200 }).map(b => Buffer.from(b)) }).map(x => ({ type: x.type, value: x.value }))
const budget = { interruptAfterTimeLimit: 4000, numRuns: 2000 }

t.test('property: v1 round trip', async t => {
  fc.assert(fc.property(pair, ([s, d]) => {
    const r = done(parseProxyHeader(encodeProxyV1(s, d)))
    return r.header.source?.address === s.address && r.header.source.port === s.port &&
      r.header.destination?.address === d.address && r.header.destination.port === d.port &&
      r.header.transport === (isIPv6(s.address) ? 'tcp6' : 'tcp4')
  }), budget)
  t.pass('round trips')
})

t.test('property: v2 round trip with TLVs, and LOCAL', async t => {
  fc.assert(fc.property(pair, fc.array(tlv, { maxLength: 12 }), fc.boolean(), ([s, d], tlvs, local) => {
    const wire = local ? encodeProxyV2(undefined, undefined, { command: 'local', tlvs }) : encodeProxyV2(s, d, { tlvs })
    const r = done(parseProxyHeader(Buffer.concat([wire, Buffer.from('after')])))
    const expected = local
      ? { version: 2, command: 'local', transport: 'unspec', tlvs }
      : { version: 2, command: 'proxy', transport: isIPv6(s.address) ? 'tcp6' : 'tcp4', source: s, destination: d, tlvs }
    return r.bytes === wire.length && isDeepStrictEqual(r.header, expected)
  }), { ...budget, numRuns: 500 })
  t.pass('round trips')
})

t.test('property: every strict prefix of a valid header is need_more', async t => {
  const header = fc.oneof(
    pair.map(([s, d]) => encodeProxyV1(s, d)),
    fc.tuple(pair, fc.array(tlv, { maxLength: 4 })).map(([[s, d], tlvs]) => encodeProxyV2(s, d, { tlvs }))
  )
  fc.assert(fc.property(header, fc.nat(), (h, n) => parseProxyHeader(h.subarray(0, n % h.length)).status === 'need_more'), budget)
  t.pass()
})

t.test('property: random bytes give only coded errors, need_more or not_proxy, and never buffer past the cap', async t => {
  const prefixed = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map(b => Buffer.from(b)),
    fc.uint8Array({ maxLength: 300 }).map(b => Buffer.concat([Buffer.from('PROXY '), b])),
    fc.string({ maxLength: 150 }).map(s => Buffer.from('PROXY ' + s)),
    fc.uint8Array({ maxLength: 300 }).map(b => Buffer.concat([SIG, b])),
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 300 }))
      .map(([vc, fam, b]) => v2(vc, fam, Buffer.from(b)))
  )
  fc.assert(fc.property(prefixed, fc.nat(), (buf, cut) => {
    const part = buf.subarray(0, cut % (buf.length + 1))
    const got = attempt(part)
    if (typeof got === 'string') return CODES.has(got)
    if (got.status === 'need_more') {
      // Waiting is bounded: a v1 line by 107 bytes, a v2 header by the cap.
      return part.length < V2_MAX_HEADER_BYTES && (part[0] !== 0x50 || part.length < V1_MAX_BYTES)
    }
    if (got.status === 'done') return got.bytes <= part.length
    return true
  }), budget)
  t.pass()
})
