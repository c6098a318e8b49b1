// TXT answers are untrusted bytes: the decoder gives values or ZONE_ERR_DNS_QUERY, never anything
// else; TCP queries fail with coded errors on garbage, wrong ids and closed ports.
import t from 'tap'
import fc from 'fast-check'
import { createServer, type Socket } from 'node:net'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { Packet } from 'dns2'
import { decodeTxtAnswer, queryTxt } from '../../../src/zone/txt-query.ts'
import { closedPort } from '../../helpers/free-port.ts'

const NAME = '_acme-challenge.alice.sn.test'

function answer (id: number, name: string, values: string[][]): Buffer {
  const p = new Packet()
  p.header.id = id
  p.header.qr = 1
  p.questions.push({ name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN } as never)
  for (const data of values) p.answers.push({ name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 1, data } as never)
  return p.toBuffer()
}

t.test('values at the name, joined across character-strings; other names and types ignored', async t => {
  const p = new Packet()
  p.header.id = 7
  p.answers.push({ name: NAME.toUpperCase(), type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 1, data: ['ab', 'cd'] } as never)
  p.answers.push({ name: 'other.sn.test', type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 1, data: 'no' } as never)
  p.answers.push({ name: NAME, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 1, address: '192.0.2.1' } as never)
  t.same(decodeTxtAnswer(p.toBuffer(), NAME, 'x', 7), ['abcd'])
  t.throws(() => decodeTxtAnswer(p.toBuffer(), NAME, 'x', 8), { code: 'ZONE_ERR_DNS_QUERY', message: /does not match/ })
  t.throws(() => decodeTxtAnswer(Buffer.alloc(3), NAME, 'x'), { code: 'ZONE_ERR_DNS_QUERY', message: /undecodable/ })
})

t.test('random bytes give values or ZONE_ERR_DNS_QUERY only', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.option(fc.integer({ min: 0, max: 0xffff })), (bytes, id) => {
    try {
      const values = decodeTxtAnswer(Buffer.from(bytes), NAME, 'x', id ?? undefined)
      return Array.isArray(values) && values.every(v => typeof v === 'string')
    } catch (err) {
      return (err as { code?: string }).code === 'ZONE_ERR_DNS_QUERY'
    }
  }), { interruptAfterTimeLimit: 4000, numRuns: 20_000 })
})

t.test('encoded answers with random values decode to the same values', async t => {
  const chunk = fc.string({ unit: 'grapheme-ascii', maxLength: 255 })
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.array(fc.array(chunk, { minLength: 1, maxLength: 3 }), { maxLength: 4 }), (id, values) => {
    const got = decodeTxtAnswer(answer(id, NAME, values), NAME, 'x', id)
    return JSON.stringify(got) === JSON.stringify(values.map(v => v.join('')))
  }), { interruptAfterTimeLimit: 4000, numRuns: 2000 })
})

/** A TCP DNS "server" that answers every query with `reply(queryId)` framed by a length prefix. */
async function tcpServer (t: { teardown (fn: () => unknown): void }, reply: (id: number) => Buffer) {
  const sockets = new Set<Socket>()
  const server = createServer(socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.once('data', (data: Buffer) => {
      const body = reply(data.readUInt16BE(2))
      const len = Buffer.alloc(2)
      len.writeUInt16BE(body.byteLength)
      socket.write(Buffer.concat([len, body]))
    })
    socket.on('error', () => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close() })
  return { host: '127.0.0.1', port: (server.address() as AddressInfo).port }
}

t.test('TCP: good, garbage and mismatched answers; a closed port', async t => {
  const good = await tcpServer(t, id => answer(id, NAME, [['v1'], ['v2']]))
  t.same(await queryTxt(good, NAME, { protocol: 'tcp', timeoutMs: 2000 }), ['v1', 'v2'])
  const garbage = await tcpServer(t, () => Buffer.from('not dns'))
  await t.rejects(queryTxt(garbage, NAME, { protocol: 'tcp', timeoutMs: 2000 }), { code: 'ZONE_ERR_DNS_QUERY', message: /undecodable/ })
  const wrongId = await tcpServer(t, id => answer((id + 1) & 0xffff, NAME, [['v']]))
  await t.rejects(queryTxt(wrongId, NAME, { protocol: 'tcp', timeoutMs: 2000 }), { code: 'ZONE_ERR_DNS_QUERY', message: /does not match/ })
  const port = await closedPort()
  await t.rejects(queryTxt({ host: '127.0.0.1', port }, NAME, { protocol: 'tcp', timeoutMs: 2000 }), { code: 'ZONE_ERR_DNS_QUERY', message: /ECONNREFUSED/ })
  await t.rejects(queryTxt({ host: '127.0.0.1', port }, NAME, { protocol: 'udp', timeoutMs: 300 }), { code: 'ZONE_ERR_DNS_QUERY' })
})
