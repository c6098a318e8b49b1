// SOCKS encoders: exact bytes for known messages, coded refusals for values the wire cannot carry,
// and decode(encode(x)) = x for random messages of every kind.
import t from 'tap'
import fc from 'fast-check'
import { SocketAddress } from 'node:net'
import {
  encodeGreeting, encodeMethodSelection, encodeAuthRequest, encodeAuthReply, encodeRequest, encodeReply,
  encodeUdpDatagram
} from '../../../src/socks/encode.ts'
import {
  decodeGreeting, decodeMethodSelection, decodeAuthRequest, decodeAuthReply, decodeRequest, decodeReply,
  decodeUdpDatagram
} from '../../../src/socks/decode.ts'
import type { Command, Decoded, Request, SocksAddress, UdpDatagram } from '../../../src/socks/types.ts'

const hex = (b: Buffer): string => b.toString('hex')

t.test('known messages encode to the RFC bytes', async t => {
  t.equal(hex(encodeGreeting({ methods: [0, 2] })), '05020002')
  t.equal(hex(encodeMethodSelection({ method: 0xff })), '05ff')
  t.equal(hex(encodeAuthRequest({ username: 'bob', password: 'pé' })), '0103626f620370c3a9')
  t.equal(hex(encodeAuthReply({ status: 0 })), '0100')
  t.equal(hex(encodeRequest({ command: 'connect', target: { type: 'ipv4', host: '127.0.0.1', port: 80 } })), '050100017f0000010050')
  t.equal(hex(encodeRequest({ command: 'udp_associate', target: { type: 'ipv4', host: '0.0.0.0', port: 0 } })), '05030001000000000000')
  t.equal(hex(encodeRequest({ command: 'bind', target: { type: 'domain', host: 'a.b', port: 21 } })), '0502000303612e620015')
  t.equal(hex(encodeReply({ code: 0, bound: { type: 'ipv6', host: '::ffff:1.2.3.4', port: 1080 } })), '0500000400000000000000000000ffff010203040438')
  t.equal(hex(encodeUdpDatagram({ frag: 0, target: { type: 'ipv4', host: '1.2.3.4', port: 53 }, data: Buffer.from('hi') })), '00000001010203040035' + '6869')
})

t.test('values the wire cannot carry are refused with SOCKS_ERR_INVALID_VALUE', async t => {
  const ip = { type: 'ipv4', host: '1.2.3.4', port: 80 } as const
  const bad: Array<[string, () => unknown]> = [
    ['no methods', () => encodeGreeting({ methods: [] })],
    ['256 methods', () => encodeGreeting({ methods: new Array(256).fill(0) })],
    ['method 256', () => encodeGreeting({ methods: [256] })],
    ['method -1', () => encodeMethodSelection({ method: -1 })],
    ['empty username', () => encodeAuthRequest({ username: '', password: 'x' })],
    ['empty password', () => encodeAuthRequest({ username: 'x', password: '' })],
    ['256-byte username', () => encodeAuthRequest({ username: 'x'.repeat(256), password: 'x' })],
    ['255 chars but 510 bytes password', () => encodeAuthRequest({ username: 'x', password: 'é'.repeat(255) })],
    ['lone surrogate', () => encodeAuthRequest({ username: '\udc00', password: 'x' })],
    ['auth status 1.5', () => encodeAuthReply({ status: 1.5 })],
    ['unknown command', () => encodeRequest({ command: 'listen' as Command, target: ip })],
    ['prototype command', () => encodeRequest({ command: 'toString' as Command, target: ip })],
    ['CONNECT port 0', () => encodeRequest({ command: 'connect', target: { ...ip, port: 0 } })],
    ['port 65536', () => encodeRequest({ command: 'connect', target: { ...ip, port: 65536 } })],
    ['IPv4 that is not', () => encodeRequest({ command: 'connect', target: { ...ip, host: '1.2.3' } })],
    ['IPv6 that is IPv4', () => encodeRequest({ command: 'connect', target: { type: 'ipv6', host: '1.2.3.4', port: 1 } })],
    ['IPv6 in brackets', () => encodeRequest({ command: 'connect', target: { type: 'ipv6', host: '[::1]', port: 1 } })],
    ['IPv6 with zone', () => encodeRequest({ command: 'connect', target: { type: 'ipv6', host: 'fe80::1%eth0', port: 1 } })],
    ['empty domain', () => encodeRequest({ command: 'connect', target: { type: 'domain', host: '', port: 1 } })],
    ['256-byte domain', () => encodeRequest({ command: 'connect', target: { type: 'domain', host: 'a'.repeat(256), port: 1 } })],
    ['unknown address type', () => encodeReply({ code: 0, bound: { type: 'unix', host: '/x', port: 0 } as unknown as SocksAddress })],
    ['reply code 300', () => encodeReply({ code: 300, bound: ip })],
    ['frag 256', () => encodeUdpDatagram({ frag: 256, target: ip, data: Buffer.alloc(0) })],
    ['data not a buffer', () => encodeUdpDatagram({ frag: 0, target: ip, data: 'x' as unknown as Buffer })]
  ]
  for (const [why, fn] of bad) t.throws(fn, { code: 'SOCKS_ERR_INVALID_VALUE' }, why)
})

// ---- random messages ---------------------------------------------------------------------------

const canonical6 = (h: string): string => new SocketAddress({ address: h, family: 'ipv6' }).address
const shortString = fc.string({ minLength: 1, maxLength: 255, unit: 'binary' })
  .filter(s => s.isWellFormed() && Buffer.byteLength(s) <= 255)
const port = fc.integer({ min: 0, max: 0xffff })
const byte = fc.integer({ min: 0, max: 0xff })
const address: fc.Arbitrary<SocksAddress> = fc.oneof(
  fc.record({ type: fc.constant('ipv4' as const), host: fc.ipV4(), port }),
  fc.record({ type: fc.constant('ipv6' as const), host: fc.ipV6().map(canonical6), port }),
  fc.record({ type: fc.constant('domain' as const), host: fc.oneof(fc.domain().filter(d => d.length <= 255), shortString), port })
)
const request: fc.Arbitrary<Request> = fc.record({ command: fc.constantFrom<Command>('connect', 'bind', 'udp_associate'), target: address })
  .filter(r => !(r.command === 'connect' && r.target.port === 0))

function roundTrips<T> (encode: (v: T) => Buffer, decode: (b: Buffer) => Decoded<T>, arb: fc.Arbitrary<T>): void {
  fc.assert(fc.property(arb, fc.uint8Array({ maxLength: 8 }), (v, tail) => {
    const wire = encode(v)
    const r = decode(Buffer.concat([wire, tail]))
    if (r.status !== 'done' || r.bytes !== wire.length) return false
    // Every strict prefix of a valid message asks for more.
    for (const cut of [0, 1, wire.length >> 1, wire.length - 1]) if (decode(wire.subarray(0, cut)).status !== 'need_more') return false
    return JSON.stringify(r.value) === JSON.stringify(v)
  }), { interruptAfterTimeLimit: 600 })
}

t.test('property: decode(encode(x)) = x for every message kind', async t => {
  roundTrips(encodeGreeting, decodeGreeting, fc.record({ methods: fc.array(byte, { minLength: 1, maxLength: 255 }) }))
  roundTrips(encodeMethodSelection, decodeMethodSelection, fc.record({ method: byte }))
  roundTrips(encodeAuthRequest, decodeAuthRequest, fc.record({ username: shortString, password: shortString }))
  roundTrips(encodeAuthReply, decodeAuthReply, fc.record({ status: byte }))
  roundTrips(encodeRequest, decodeRequest, request)
  roundTrips(encodeReply, decodeReply, fc.record({ code: byte, bound: address }))
  fc.assert(fc.property(fc.record({ frag: byte, target: address, data: fc.uint8Array({ maxLength: 1024 }).map(a => Buffer.from(a)) }), (d: UdpDatagram) => {
    const back = decodeUdpDatagram(encodeUdpDatagram(d))
    return back.frag === d.frag && JSON.stringify(back.target) === JSON.stringify(d.target) && back.data.equals(d.data)
  }), { interruptAfterTimeLimit: 600 })
  t.pass('round trips held')
})
