// Property tests of the decode path and the listeners: random and mutated bytes give a query or a
// coded error, never anything else; the responder never throws and its UDP replies fit the limit;
// encoded answers decode back to the records; random datagrams and TCP streams sent by sockets
// leave the server serving.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import fc from 'fast-check'
import { Packet } from 'dns2'
import { silentLogger } from '../../../../src/core/logger.ts'
import { GatewayError } from '../../../../src/core/errors.ts'
import { decodeQuery } from '../../../../src/sn/dns/decode.ts'
import { encodeResponse } from '../../../../src/sn/dns/encode.ts'
import { createResponder, newStats } from '../../../../src/sn/dns/responder.ts'
import type { DnsRecord } from '../../../../src/sn/dns/types.ts'
import { memoryAuthority, query, startServer, udpClient, tcpClient, until } from './fixtures.ts'
import { withinTime } from '../../../helpers/within-time.ts'

const TIME = { interruptAfterTimeLimit: 4000, numRuns: 100_000 }
const valid = [
  query(1, [['alice.sn.test', Packet.TYPE.A]], { edns: { udpPayloadSize: 1232 } }),
  query(2, [['www.alice.sn.test', Packet.TYPE.TXT]]),
  query(3, [['big.sn.test', Packet.TYPE.TXT]], { edns: { udpPayloadSize: 512 } })
]
/** Random bytes, and valid queries with random bytes overwritten, cut or appended. */
const messages = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map(a => Buffer.from(a)),
  fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), fc.uint8Array({ maxLength: 40 }))
    .map(([q, flips, cut, tail]) => {
      const b = Buffer.from(q)
      for (const [at, v] of flips) b[at % b.length] = v
      return Buffer.concat([b.subarray(0, Math.max(0, b.length - (cut % 8))), tail])
    })
)

t.test('decodeQuery: a query or a coded DNS_ERR_ error, nothing else', async t => {
  let decoded = 0
  fc.assert(fc.property(messages, (buf) => {
    try {
      const q = decodeQuery(buf, 4096)
      decoded++
      return typeof q.question.name === 'string' && q.question.name.length <= 255
    } catch (err) {
      return err instanceof GatewayError && /^DNS_ERR_/.test(err.code)
    }
  }), TIME)
  t.ok(decoded > 0, `some mutated queries still decode (${decoded})`)
})

t.test('responder: never throws; UDP replies fit 512 bytes without EDNS and 1232 with it', async t => {
  const respond = createResponder({ authority: memoryAuthority(), logger: silentLogger(), maxUdpPayload: 1232, maxMessageBytes: 4096, stats: newStats() })
  fc.assert(fc.property(messages, (buf) => {
    const out = respond(buf, 'udp')
    if (out == null) return true
    const r = Packet.parse(out)
    const hasOpt = r.additionals.some(x => x.type === Packet.TYPE.EDNS)
    return r.header.qr === 1 && out.length <= (hasOpt ? 1232 : 512) && r.errors.length === 0
  }), TIME)
  t.pass()
})

t.test('encodeResponse: records decode back as they went in', async t => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/)
  const record: fc.Arbitrary<DnsRecord> = fc.oneof(
    fc.ipV4().map(address => ({ type: 'A' as const, address, ttl: 60 })),
    fc.array(fc.string({ maxLength: 600 }), { minLength: 1, maxLength: 3 }).map(data => ({ type: 'TXT' as const, data, ttl: 60 })),
    fc.array(label, { minLength: 1, maxLength: 4 }).map(l => ({ type: 'CNAME' as const, domain: `${l.join('.')}.sn.test`, ttl: 60 }))
  )
  fc.assert(fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), fc.array(record, { maxLength: 8 }), (labels, records) => {
    const name = `${labels.join('.')}.sn.test`
    const { buf, truncated } = encodeResponse({ id: 7, opcode: 0, rd: 0, rcode: 0, aa: true, question: { name, type: 1, class: 1 }, answers: records.map(record => ({ name, record })), authorities: [] }, 65535)
    const back = Packet.parse(buf)
    if (truncated || back.errors.length > 0 || back.answers.length !== records.length) return false
    return records.every((r, i) => {
      const a = back.answers[i] as unknown as Record<string, unknown>
      if (r.type === 'A') return a.address === r.address
      if (r.type === 'CNAME') return a.domain === r.domain
      if (r.type === 'TXT') return (a.data as string[]).join('') === r.data.join('')
      return false
    })
  }), { interruptAfterTimeLimit: 4000, numRuns: 300 })
  t.pass()
})

t.test('udp server: random datagrams by socket, then a real query is still answered', async t => {
  const s = await startServer(t)
  const c = await udpClient(t)
  const samples = fc.sample(messages, 300)
  // In batches: a burst larger than the socket's receive buffer would be dropped by the kernel.
  for (let i = 0; i < samples.length; i += 20) {
    for (const m of samples.slice(i, i + 20)) c.send(m, s.port)
    await until(() => s.stats.received >= Math.min(i + 20, samples.length))
  }
  c.send(query(4242, [['alice.sn.test', Packet.TYPE.A]]), s.port)
  // Replies to the random ones come first (UDP on loopback keeps order here); find ours.
  for (;;) {
    const r = Packet.parse(await c.next())
    if (r.header.id === 4242 && r.answers[0]?.address === '192.0.2.1') break
  }
  t.equal(s.stats.received, samples.length + 1)
  t.ok(s.stats.dropped + Object.values(s.stats.rcodes).reduce((a, b) => a + b, 0) === s.stats.received, 'every message answered or counted as dropped')
})

t.test('tcp server: random byte streams end or stay bounded; the server keeps serving', async t => {
  const s = await startServer(t, { tcpIdleTimeoutMs: 300 })
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), withinTime(4000, async (bytes, end) => {
    const sock = net.connect(s.tcpPort, '127.0.0.1')
    sock.on('error', () => {})
    sock.resume()
    const closed = once(sock, 'close')
    sock.write(bytes)
    if (end) sock.end()
    const timer = setTimeout(() => sock.destroy(), 3000)
    await closed // the server closes it: end, oversize frame, or the idle timeout
    clearTimeout(timer)
    return true
  })), { numRuns: 60 })
  const c = await tcpClient(t, s.tcpPort)
  c.send(query(5, [['alice.sn.test', Packet.TYPE.A]]))
  t.equal(Packet.parse(await c.next()).header.id, 5)
})
