// SOCKS decoders: table-driven valid and invalid messages per type, need_more for every strict
// prefix, trailing bytes never looked at, and random bytes giving only need_more, a value or a
// coded SOCKS_ERR_* error.
import t from 'tap'
import fc from 'fast-check'
import {
  decodeGreeting, decodeMethodSelection, decodeAuthRequest, decodeAuthReply, decodeRequest, decodeReply,
  decodeUdpDatagram
} from '../../../src/socks/decode.ts'
import { REPLY_CODES, type Decoded } from '../../../src/socks/types.ts'

type Decoder = (buf: Buffer) => Decoded<unknown>
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

// [decoder name, decoder, wire hex, expected value]
const valid: Array<[string, Decoder, string, unknown]> = [
  ['greeting', decodeGreeting, '05 01 00', { methods: [0] }],
  ['greeting', decodeGreeting, '05 02 00 02', { methods: [0, 2] }],
  ['greeting', decodeGreeting, '05 03 00 01 ff', { methods: [0, 1, 0xff] }],
  ['method selection', decodeMethodSelection, '05 02', { method: 2 }],
  ['method selection', decodeMethodSelection, '05 ff', { method: 0xff }],
  ['auth request', decodeAuthRequest, '01 03 626f62 02 7077', { username: 'bob', password: 'pw' }],
  ['auth request', decodeAuthRequest, '01 02 c3a9 01 00', { username: 'é', password: '\0' }],
  ['auth reply', decodeAuthReply, '01 00', { status: 0 }],
  ['auth reply', decodeAuthReply, '01 01', { status: 1 }],
  ['request', decodeRequest, '05 01 00 01 7f000001 0050', { command: 'connect', target: { type: 'ipv4', host: '127.0.0.1', port: 80 } }],
  ['request', decodeRequest, '05 01 00 04 00000000000000000000000000000001 01bb', { command: 'connect', target: { type: 'ipv6', host: '::1', port: 443 } }],
  ['request', decodeRequest, '05 01 00 03 0b 6578616d706c652e636f6d 0050', { command: 'connect', target: { type: 'domain', host: 'example.com', port: 80 } }],
  ['request', decodeRequest, '05 03 00 01 00000000 0000', { command: 'udp_associate', target: { type: 'ipv4', host: '0.0.0.0', port: 0 } }],
  ['request', decodeRequest, '05 02 00 01 0a000001 1f90', { command: 'bind', target: { type: 'ipv4', host: '10.0.0.1', port: 8080 } }],
  ['reply', decodeReply, '05 00 00 01 7f000001 0438', { code: 0, bound: { type: 'ipv4', host: '127.0.0.1', port: 1080 } }],
  ['reply', decodeReply, '05 05 00 01 00000000 0000', { code: REPLY_CODES.CONNECTION_REFUSED, bound: { type: 'ipv4', host: '0.0.0.0', port: 0 } }],
  ['reply', decodeReply, '05 00 00 04 20010db8000000000000000000000001 0050', { code: 0, bound: { type: 'ipv6', host: '2001:db8::1', port: 80 } }],
  ['reply', decodeReply, '05 00 00 04 00000000000000000000ffff01020304 0050', { code: 0, bound: { type: 'ipv6', host: '::ffff:1.2.3.4', port: 80 } }],
  ['reply', decodeReply, '05 00 07 03 01 61 0050', { code: 0, bound: { type: 'domain', host: 'a', port: 80 } }], // RSV ignored in replies
  ['reply', decodeReply, '05 42 00 01 01020304 0001', { code: 0x42, bound: { type: 'ipv4', host: '1.2.3.4', port: 1 } }] // unassigned REP carried
]

// [decoder name, decoder, wire hex, expected code, expected socksReply or undefined]
const invalid: Array<[string, Decoder, string, string, number | undefined]> = [
  ['greeting v4', decodeGreeting, '04 01 00', 'SOCKS_ERR_BAD_VERSION', undefined],
  ['greeting NMETHODS 0', decodeGreeting, '05 00', 'SOCKS_ERR_MALFORMED', undefined],
  ['method selection version', decodeMethodSelection, '01 00', 'SOCKS_ERR_BAD_VERSION', undefined],
  ['auth request version', decodeAuthRequest, '05 01 61 01 62', 'SOCKS_ERR_BAD_VERSION', undefined],
  ['auth request empty user', decodeAuthRequest, '01 00 01 62', 'SOCKS_ERR_MALFORMED', undefined],
  ['auth request empty password', decodeAuthRequest, '01 01 61 00', 'SOCKS_ERR_MALFORMED', undefined],
  ['auth request invalid UTF-8 user', decodeAuthRequest, '01 02 c328 01 62', 'SOCKS_ERR_MALFORMED', undefined],
  ['auth request invalid UTF-8 password', decodeAuthRequest, '01 01 61 01 ff', 'SOCKS_ERR_MALFORMED', undefined],
  ['auth reply version', decodeAuthReply, '05 00', 'SOCKS_ERR_BAD_VERSION', undefined],
  ['request version', decodeRequest, '04 01 00 01 7f000001 0050', 'SOCKS_ERR_BAD_VERSION', REPLY_CODES.GENERAL_FAILURE],
  ['request command 0', decodeRequest, '05 00', 'SOCKS_ERR_COMMAND_NOT_SUPPORTED', REPLY_CODES.COMMAND_NOT_SUPPORTED],
  ['request command 4', decodeRequest, '05 04 00 01 7f000001 0050', 'SOCKS_ERR_COMMAND_NOT_SUPPORTED', REPLY_CODES.COMMAND_NOT_SUPPORTED],
  ['request RSV', decodeRequest, '05 01 01 01 7f000001 0050', 'SOCKS_ERR_MALFORMED', REPLY_CODES.GENERAL_FAILURE],
  ['request ATYP 2', decodeRequest, '05 01 00 02', 'SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED', REPLY_CODES.ADDRESS_TYPE_NOT_SUPPORTED],
  ['request ATYP 0', decodeRequest, '05 01 00 00 7f000001 0050', 'SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED', REPLY_CODES.ADDRESS_TYPE_NOT_SUPPORTED],
  ['request empty domain', decodeRequest, '05 01 00 03 00 0050', 'SOCKS_ERR_MALFORMED', REPLY_CODES.GENERAL_FAILURE],
  ['request invalid UTF-8 domain', decodeRequest, '05 01 00 03 01 ff 0050', 'SOCKS_ERR_MALFORMED', undefined],
  ['request CONNECT port 0', decodeRequest, '05 01 00 01 7f000001 0000', 'SOCKS_ERR_MALFORMED', REPLY_CODES.GENERAL_FAILURE],
  ['reply version', decodeReply, '00 5a 00 00 00 00 00 00', 'SOCKS_ERR_BAD_VERSION', undefined], // a SOCKS4 reply
  ['reply ATYP 5', decodeReply, '05 00 00 05', 'SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED', REPLY_CODES.ADDRESS_TYPE_NOT_SUPPORTED],
  ['reply empty domain', decodeReply, '05 00 00 03 00', 'SOCKS_ERR_MALFORMED', undefined]
]

t.test('valid messages decode; every strict prefix is need_more; trailing bytes are not read', async t => {
  for (const [name, decode, wireHex, want] of valid) {
    const wire = hex(wireHex)
    t.same(decode(wire), { status: 'done', value: want, bytes: wire.length }, `${name} ${wireHex}`)
    for (let i = 0; i < wire.length; i++) {
      t.same(decode(wire.subarray(0, i)), { status: 'need_more' }, `${name} prefix ${i}/${wire.length}`)
    }
    // The bytes after a message belong to the next one (or to the tunnel): same answer whatever they are.
    for (const tail of [hex('ff'), hex('0000'), Buffer.alloc(300, 0xab)]) {
      t.same(decode(Buffer.concat([wire, tail])), { status: 'done', value: want, bytes: wire.length }, `${name} + ${tail.length} trailing bytes`)
    }
  }
})

t.test('invalid messages give coded errors with their wire mapping', async t => {
  for (const [name, decode, wireHex, code, socksReply] of invalid) {
    const expected = socksReply === undefined ? { code } : { code, socksReply }
    t.throws(() => decode(hex(wireHex)), expected, name)
  }
})

t.test('errors are refused as soon as the offending byte arrives', async t => {
  t.throws(() => decodeGreeting(hex('04')), { code: 'SOCKS_ERR_BAD_VERSION' })
  t.throws(() => decodeRequest(hex('05 09')), { code: 'SOCKS_ERR_COMMAND_NOT_SUPPORTED' })
  t.throws(() => decodeRequest(hex('05 01 00 07')), { code: 'SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED' })
  t.throws(() => decodeAuthRequest(hex('01 00')), { code: 'SOCKS_ERR_MALFORMED' })
})

t.test('a long domain declares its length: 255 bytes are awaited, not more', async t => {
  const name = Buffer.alloc(255, 0x61)
  const wire = Buffer.concat([hex('05 01 00 03 ff'), name, hex('0050')])
  t.same(decodeRequest(wire.subarray(0, wire.length - 1)), { status: 'need_more' })
  const r = decodeRequest(wire)
  t.equal(r.status === 'done' && r.bytes, 5 + 255 + 2)
})

t.test('UDP datagrams: whole or refused', async t => {
  const d = decodeUdpDatagram(hex('0000 00 01 7f000001 0035 deadbeef'))
  t.same({ ...d, data: d.data.toString('hex') }, { frag: 0, target: { type: 'ipv4', host: '127.0.0.1', port: 53 }, data: 'deadbeef' })
  const d6 = decodeUdpDatagram(hex('0000 02 04 00000000000000000000000000000001 0035'))
  t.same({ ...d6, data: d6.data.length }, { frag: 2, target: { type: 'ipv6', host: '::1', port: 53 }, data: 0 })
  const whole = hex('0000 00 03 03 616263 0035')
  for (let i = 0; i < whole.length; i++) t.throws(() => decodeUdpDatagram(whole.subarray(0, i)), { code: 'SOCKS_ERR_MALFORMED' }, `cut at ${i}`)
  t.throws(() => decodeUdpDatagram(hex('0001 00 01 7f000001 0035')), { code: 'SOCKS_ERR_MALFORMED' }, 'RSV')
  t.throws(() => decodeUdpDatagram(hex('0000 00 09 7f000001 0035')), { code: 'SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED' }, 'ATYP')
  t.throws(() => decodeUdpDatagram(hex('0000 00 03 00 0035')), { code: 'SOCKS_ERR_MALFORMED' }, 'empty domain')
})

t.test('notes: a reply cut anywhere gives need_more, never a wrong value (socksv5 bug)', async t => {
  const replies = [
    '05 00 00 01 7f000001 0438',
    '05 00 00 04 20010db8000000000000000000000001 0050',
    '05 00 00 03 0b 6578616d706c652e636f6d 01bb'
  ]
  for (const r of replies) {
    const wire = hex(r)
    // Cut at i, then feed the rest the way a caller accumulates chunks.
    for (let i = 0; i < wire.length; i++) {
      t.same(decodeReply(wire.subarray(0, i)), { status: 'need_more' }, `cut at ${i}`)
      const joined = decodeReply(Buffer.concat([wire.subarray(0, i), wire.subarray(i)]))
      if (joined.status !== 'done' || joined.bytes !== wire.length) t.fail(`rejoined at ${i}`)
    }
  }
  t.pass('all cuts asked for more')
})

const decoders: Array<[string, Decoder]> = [
  ['greeting', decodeGreeting], ['method selection', decodeMethodSelection], ['auth request', decodeAuthRequest],
  ['auth reply', decodeAuthReply], ['request', decodeRequest], ['reply', decodeReply]
]

function codedOnly (fn: () => unknown): boolean {
  try {
    fn()
    return true
  } catch (err) {
    const code = (err as { code?: unknown }).code
    return typeof code === 'string' && code.startsWith('SOCKS_ERR_') && typeof (err as { socksReply?: unknown }).socksReply === 'number'
  }
}

t.test('property: random bytes give need_more, a bounded value, or a coded error', async t => {
  for (const [name, decode] of decoders) {
    // Bias the first bytes towards plausible headers so the properties reach deep into each message.
    const head = fc.tuple(fc.constantFrom(0, 1, 5, 0xff), fc.integer({ min: 0, max: 5 }), fc.constantFrom(0, 1), fc.constantFrom(1, 3, 4, 2))
    fc.assert(fc.property(head, fc.uint8Array({ maxLength: 600 }), fc.boolean(), (h, rest, useHead) => {
      const buf = Buffer.from(useHead ? [...h, ...rest] : rest)
      return codedOnly(() => {
        const r = decode(buf)
        if (r.status === 'done' && (r.bytes < 1 || r.bytes > buf.length || r.bytes > 2 + 255 + 1 + 255 + 2)) throw new Error(`${name}: bytes ${r.bytes}`)
        // A decoder is a function of the message bytes only: re-decoding just those bytes agrees.
        if (r.status === 'done') {
          const again = decode(Buffer.from(buf.subarray(0, r.bytes)))
          if (JSON.stringify(again) !== JSON.stringify(r)) throw new Error(`${name}: not prefix-stable`)
        }
      })
    }), { interruptAfterTimeLimit: 600, numRuns: 20000 })
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, zeroRsv) => {
    const buf = Buffer.from(bytes)
    if (zeroRsv && buf.length >= 2) buf[0] = buf[1] = 0
    return codedOnly(() => decodeUdpDatagram(buf))
  }), { interruptAfterTimeLimit: 600, numRuns: 20000 })
  t.pass('no crash, no uncoded error')
})
