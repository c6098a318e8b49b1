// UDP ASSOCIATE through the engine with the `socks` package and a real UDP echo server: datagrams
// relay both ways, only the client's address is accepted, decide() filters per datagram target,
// the association ends with its control connection or after the idle timeout.
import t from 'tap'
import dgram from 'node:dgram'
import net from 'node:net'
import { once } from 'node:events'
import { SocksClient } from 'socks'
import type { SocksRequestFacts } from '../../../src/socks/server.ts'
import { startServer, type TestLike } from './server-fixtures.ts'

async function udpEcho (t: TestLike): Promise<number> {
  const s = dgram.createSocket('udp4')
  s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address))
  s.bind(0, '127.0.0.1')
  await once(s, 'listening')
  t.teardown(() => s.close())
  return s.address().port
}

async function associate (t: TestLike, port: number): Promise<{ control: net.Socket, relay: { host: string, port: number } }> {
  const client = new SocksClient({ proxy: { host: '127.0.0.1', port, type: 5 }, command: 'associate', destination: { host: '0.0.0.0', port: 0 } })
  const established = once(client, 'established') as Promise<[{ socket: net.Socket, remoteHost: { host: string, port: number } }]>
  client.connect()
  const [info] = await established
  t.teardown(() => info.socket.destroy())
  return { control: info.socket, relay: info.remoteHost }
}

async function clientUdp (t: TestLike): Promise<dgram.Socket> {
  const u = dgram.createSocket('udp4')
  u.bind(0, '127.0.0.1')
  await once(u, 'listening')
  t.teardown(() => { try { u.close() } catch {} })
  return u
}

t.test('datagrams relay to a UDP echo server and back; decide filters per datagram', async t => {
  const echo = await udpEcho(t)
  const facts: SocksRequestFacts[] = []
  const { port, nextSession } = await startServer(t, {}, f => {
    facts.push(f)
    return f.target.port === 9 ? { action: 'reject' } : { action: 'direct' }
  })
  const { control, relay } = await associate(t, port)
  t.equal(relay.host, '127.0.0.1')
  const u = await clientUdp(t)
  const msgs: Buffer[] = []
  const got = (): Promise<void> => new Promise(resolve => u.once('message', (m: Buffer) => { msgs.push(m); resolve() }))
  // A rejected target is dropped silently; the next datagram still goes through.
  u.send(SocksClient.createUDPFrame({ remoteHost: { host: '127.0.0.1', port: 9 }, data: Buffer.from('dropped') }), relay.port, relay.host)
  let reply = got()
  u.send(SocksClient.createUDPFrame({ remoteHost: { host: '127.0.0.1', port: echo }, data: Buffer.from('hello udp') }), relay.port, relay.host)
  await reply
  const frame = SocksClient.parseUDPFrame(msgs[0])
  t.equal(frame.data.toString(), 'hello udp')
  t.same(frame.remoteHost, { host: '127.0.0.1', port: echo })
  // A domain target is resolved by the server.
  reply = got()
  u.send(SocksClient.createUDPFrame({ remoteHost: { host: 'localhost', port: echo }, data: Buffer.from('by name') }), relay.port, relay.host)
  await reply
  t.equal(SocksClient.parseUDPFrame(msgs[1]).data.toString(), 'by name')
  // A fragment (FRAG ≠ 0) is dropped.
  const frag = SocksClient.createUDPFrame({ frameNumber: 1, remoteHost: { host: '127.0.0.1', port: echo }, data: Buffer.from('frag') })
  u.send(frag, relay.port, relay.host)
  t.ok(facts.every(f => f.command === 'udp_associate'))
  t.same(facts.map(f => f.target.port), [9, echo, echo])
  control.end()
  const done = await nextSession()
  t.equal(done.command, 'udp_associate')
  t.equal(done.bytesIn, 'hello udp'.length + 'by name'.length)
  t.equal(done.bytesOut, done.bytesIn)
})

t.test('datagrams from another port than the declared one are ignored', async t => {
  const echo = await udpEcho(t)
  const { port } = await startServer(t)
  const u = await clientUdp(t)
  const stranger = await clientUdp(t)
  // Declare u's port in the request (raw, since the socks package declares 0.0.0.0:0).
  const control = net.connect({ host: '127.0.0.1', port })
  t.teardown(() => control.destroy())
  const p = Buffer.alloc(2)
  p.writeUInt16BE(u.address().port)
  control.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 3, 0, 1, 127, 0, 0, 1]), p]))
  const [data] = await once(control, 'data') as [Buffer]
  let all = data
  while (all.length < 12) all = Buffer.concat([all, (await once(control, 'data'))[0] as Buffer])
  const relayPort = all.readUInt16BE(10)
  const frame = (s: string): Buffer => SocksClient.createUDPFrame({ remoteHost: { host: '127.0.0.1', port: echo }, data: Buffer.from(s) })
  let strangerGot = false
  stranger.on('message', () => { strangerGot = true })
  stranger.send(frame('from stranger'), relayPort, '127.0.0.1')
  const reply = once(u, 'message') as Promise<[Buffer]>
  u.send(frame('from client'), relayPort, '127.0.0.1')
  const [m] = await reply
  t.equal(SocksClient.parseUDPFrame(m).data.toString(), 'from client', 'the first reply is the client\'s own')
  t.notOk(strangerGot)
})

t.test('the association ends after udpIdleTimeoutMs of silence', async t => {
  const { port, nextSession, engine } = await startServer(t, { udpIdleTimeoutMs: 150 })
  const { control } = await associate(t, port)
  control.resume()
  const start = performance.now()
  await once(control, 'close')
  t.ok(performance.now() - start >= 100, 'not before the idle timeout')
  const s = await nextSession()
  t.equal(s.command, 'udp_associate')
  t.equal(engine.active, 0)
})
