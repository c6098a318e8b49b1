// Messages dig will not send, over a raw UDP socket and a raw TCP connection: FORMERR for bad
// queries whose header is readable, NOTIMP for other opcodes, silence for headerless messages and
// responses; the TCP listener's limits (idle timeout, connection count, message size) and pipelining.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { Packet } from 'dns2'
import { startServer, udpClient, tcpClient, query, until, memoryAuthority } from './fixtures.ts'

const A = Packet.TYPE.A

t.test('udp: malformed, two questions, other opcodes, zone transfers', async t => {
  const s = await startServer(t)
  const c = await udpClient(t)

  c.send(query(1, [['alice.sn.test', A], ['sn.test', A]]), s.port)
  let r = Packet.parse(await c.next())
  t.match(r.header, { id: 1, qr: 1, rcode: Packet.RCODE.FORMERR }, 'two questions → FORMERR')

  c.send(query(2, [['alice.sn.test', A]], { opcode: 2 }), s.port)
  r = Packet.parse(await c.next())
  t.match(r.header, { id: 2, qr: 1, opcode: 2, rcode: Packet.RCODE.NOTIMP }, 'STATUS → NOTIMP')

  c.send(query(3, []), s.port)
  r = Packet.parse(await c.next())
  t.match(r.header, { id: 3, rcode: Packet.RCODE.FORMERR }, 'no question → FORMERR')

  // A header that promises a question, then garbage: the header is readable, so FORMERR with its id.
  const garbage = Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from([0x05, 0x61])])
  c.send(garbage, s.port)
  r = Packet.parse(await c.next())
  t.match(r.header, { id: 0x1234, rcode: Packet.RCODE.FORMERR, rd: 1 })
  t.same(r.questions, [], 'the unreadable question is not echoed')

  // EDNS in a FORMERR: the OPT is echoed when it decoded.
  const twoWithOpt = query(4, [['a.sn.test', A], ['b.sn.test', A]], { edns: { udpPayloadSize: 4096 } })
  c.send(twoWithOpt, s.port)
  r = Packet.parse(await c.next())
  t.equal(r.header.rcode, Packet.RCODE.FORMERR)
  t.equal(r.additionals.find(x => x.type === Packet.TYPE.EDNS)?.class, 1232)

  c.send(query(5, [['sn.test', Packet.TYPE.AXFR]]), s.port)
  r = Packet.parse(await c.next())
  t.match(r.header, { id: 5, rcode: Packet.RCODE.REFUSED })

  c.send(query(6, [['sn.test', Packet.TYPE.EDNS]]), s.port)
  t.match(Packet.parse(await c.next()).header, { id: 6, rcode: Packet.RCODE.FORMERR }, 'OPT as qtype')

  // Too short for a header, and a response (QR set): no reply. The next reply is for id 7.
  c.send(Buffer.from([1, 2, 3]), s.port)
  const response = query(99, [['alice.sn.test', A]]); response[2] |= 0x80
  c.send(response, s.port)
  c.send(query(7, [['alice.sn.test', A]]), s.port)
  r = Packet.parse(await c.next())
  t.equal(r.header.id, 7, 'nothing came back for the short message and the response')
  t.equal(r.answers[0]?.address, '192.0.2.1')
  t.equal(s.stats.dropped, 2)
  t.equal(s.stats.errors.DNS_ERR_SHORT_MESSAGE, 1)
  t.equal(s.stats.errors.DNS_ERR_NOT_A_QUERY, 1)
  t.ok(s.stats.errors.DNS_ERR_MALFORMED >= 4)
})

t.test('udp: a query over maxMessageBytes → FORMERR', async t => {
  const s = await startServer(t, { maxMessageBytes: 512 })
  const c = await udpClient(t)
  const big = Buffer.concat([query(8, [['alice.sn.test', A]]), Buffer.alloc(600)])
  c.send(big, s.port)
  const r = Packet.parse(await c.next())
  t.match(r.header, { id: 8, rcode: Packet.RCODE.FORMERR })
  t.equal(s.stats.errors.DNS_ERR_MESSAGE_TOO_LARGE, 1)
})

t.test('tcp: pipelined queries in one write are answered in order', async t => {
  const s = await startServer(t)
  const c = await tcpClient(t, s.tcpPort)
  const frames = [10, 11, 12].map(id => { const q = query(id, [['alice.sn.test', A]]); const p = Buffer.alloc(2); p.writeUInt16BE(q.length); return Buffer.concat([p, q]) })
  c.socket.write(Buffer.concat(frames))
  for (const id of [10, 11, 12]) t.equal(Packet.parse(await c.next()).header.id, id)
  // Split across writes, byte by byte for the length prefix.
  const q = query(13, [['alice.sn.test', A]])
  c.socket.write(Buffer.from([q.length >> 8]))
  c.socket.write(Buffer.from([q.length & 0xff]))
  c.socket.write(q.subarray(0, 5))
  c.socket.write(q.subarray(5))
  t.equal(Packet.parse(await c.next()).header.id, 13)
  // A malformed frame gets FORMERR and the connection stays usable.
  c.send(Buffer.from([0, 14, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff]))
  t.match(Packet.parse(await c.next()).header, { id: 14, rcode: Packet.RCODE.FORMERR })
  c.send(query(15, [['alice.sn.test', A]]))
  t.equal(Packet.parse(await c.next()).header.id, 15)
})

t.test('tcp: a half-closed connection gets its answers, then the server closes', async t => {
  const s = await startServer(t)
  const c = await tcpClient(t, s.tcpPort)
  const closed = once(c.socket, 'close')
  c.send(query(20, [['alice.sn.test', A]]))
  c.socket.end()
  t.equal(Packet.parse(await c.next()).header.id, 20)
  await closed
})

t.test('tcp: idle connections close after tcpIdleTimeoutMs', async t => {
  const s = await startServer(t, { tcpIdleTimeoutMs: 200 })
  const c = await tcpClient(t, s.tcpPort)
  const started = Date.now()
  await once(c.socket, 'close')
  t.ok(Date.now() - started >= 150, 'not before the timeout')
  t.equal(s.stats.tcpIdleClosed, 1)
})

t.test('tcp: connections over maxTcpConnections are closed on accept', async t => {
  const s = await startServer(t, { maxTcpConnections: 2 })
  const a = await tcpClient(t, s.tcpPort)
  const b = await tcpClient(t, s.tcpPort)
  // Both are being served (the server has accepted them) before the third arrives.
  a.send(query(30, [['alice.sn.test', A]])); b.send(query(31, [['alice.sn.test', A]]))
  t.equal(Packet.parse(await a.next()).header.id, 30)
  t.equal(Packet.parse(await b.next()).header.id, 31)
  const third = net.connect(s.tcpPort, '127.0.0.1')
  third.on('error', () => {})
  await once(third, 'close')
  t.equal(s.stats.tcpRejected, 1)
  // Closing one makes room again.
  t.equal(s.stats.tcpOpen, 2)
  a.socket.destroy()
  await until(() => s.stats.tcpOpen === 1)
  const fourth = await tcpClient(t, s.tcpPort)
  fourth.send(query(32, [['alice.sn.test', A]]))
  t.equal(Packet.parse(await fourth.next()).header.id, 32)
})

t.test('tcp: a frame longer than maxMessageBytes closes the connection unread', async t => {
  const s = await startServer(t, { maxMessageBytes: 512 })
  const c = await tcpClient(t, s.tcpPort)
  const closed = once(c.socket, 'close')
  c.socket.write(Buffer.from([0x04, 0x00])) // declares 1024 bytes
  await closed
  t.equal(s.stats.tcpOversize, 1)
})

t.test('an authority that throws → SERVFAIL, and the server keeps serving', async t => {
  let fail = true
  const base = memoryAuthority()
  const s = await startServer(t, {
    authority: { ...base, records: (n) => { if (fail) throw new Error('registry closed'); return base.records(n) } }
  })
  const c = await udpClient(t)
  c.send(query(40, [['alice.sn.test', A]]), s.port)
  t.match(Packet.parse(await c.next()).header, { id: 40, rcode: Packet.RCODE.SERVFAIL, aa: 0 })
  fail = false
  c.send(query(41, [['alice.sn.test', A]]), s.port)
  t.match(Packet.parse(await c.next()).header, { id: 41, rcode: Packet.RCODE.NOERROR, aa: 1 })
})
