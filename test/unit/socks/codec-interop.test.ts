// Cross-test of our codec against an independent implementation, the `socks` npm client: a
// minimal SOCKS5 server built only from our decoders/encoders (greeting → method → [auth] →
// request → reply, then a plain relay) serves SocksClient.createConnection for CONNECT to IPv4,
// IPv6 and domain targets, with and without user/pass, and for UDP ASSOCIATE; our UDP datagram
// codec is checked byte for byte against SocksClient.createUDPFrame / parseUDPFrame.
import t from 'tap'
import fc from 'fast-check'
import net from 'node:net'
import dgram from 'node:dgram'
import { once } from 'node:events'
import { SocksClient, type SocksClientOptions } from 'socks'
import { decodeGreeting, decodeAuthRequest, decodeRequest, decodeUdpDatagram } from '../../../src/socks/decode.ts'
import { encodeMethodSelection, encodeAuthReply, encodeReply, encodeUdpDatagram } from '../../../src/socks/encode.ts'
import { addressFromHostPort } from '../../../src/socks/address.ts'
import { AUTH_METHODS, REPLY_CODES, type AuthRequest, type Decoded, type Greeting, type Request, type SocksAddress, type UdpDatagram } from '../../../src/socks/types.ts'

type SocksClientEstablishedEvent = { socket: net.Socket, remoteHost?: { host: string, port: number } }
type Teardown = { teardown (fn: () => unknown): void }

/** Closes a UDP socket that the control connection or the teardown may already have closed. */
function closeUdp (u: dgram.Socket): void {
  try { u.close() } catch {}
}

/** What our decoders saw on one control connection. */
interface Seen { greeting?: Greeting, auth?: AuthRequest, request?: Request, datagrams: UdpDatagram[], error?: unknown }

interface ServerOptions {
  credentials?: AuthRequest
  /** Test-local name resolution: domain targets never touch DNS. */
  names?: Record<string, string>
  /** Answer CONNECT with this code instead of connecting. */
  refuseWith?: number
}

/** Pulls whole messages off a socket with our decoders; the bytes are held here, not in them. */
function messageReader (s: net.Socket): { read: <T>(decode: (b: Buffer) => Decoded<T>) => Promise<T>, rest: () => Buffer, stop: () => void } {
  let buf = Buffer.alloc(0)
  let wake: (() => void) | null = null
  let ended = false
  const onData = (c: Buffer): void => { buf = Buffer.concat([buf, c]); wake?.() }
  const onEnd = (): void => { ended = true; wake?.() }
  s.on('data', onData)
  s.on('end', onEnd)
  s.on('close', onEnd)
  return {
    async read (decode) {
      for (;;) {
        const r = decode(buf)
        if (r.status === 'done') {
          buf = buf.subarray(r.bytes)
          return r.value
        }
        if (ended) throw new Error('client closed mid-message')
        await new Promise<void>(resolve => { wake = resolve })
      }
    },
    rest: () => buf,
    stop: () => { s.off('data', onData); s.off('end', onEnd); s.off('close', onEnd) }
  }
}

async function miniSocksServer (t: Teardown, opts: ServerOptions = {}): Promise<{ port: number, seen: Seen[] }> {
  const seen: Seen[] = []
  const open = new Set<{ destroy (): unknown } | dgram.Socket>()
  const srv = net.createServer(s => {
    const log: Seen = { datagrams: [] }
    seen.push(log)
    open.add(s)
    s.on('error', () => {})
    serve(s, log, opts, open).catch((err: unknown) => {
      log.error = err
      // Errors carry their wire mapping: a failed request is answered with it.
      const rep = (err as { socksReply?: number }).socksReply
      if (log.greeting !== undefined && rep !== undefined) s.end(encodeReply({ code: rep, bound: { type: 'ipv4', host: '0.0.0.0', port: 0 } }))
      else s.destroy()
    })
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => {
    for (const o of open) o instanceof dgram.Socket ? closeUdp(o) : o.destroy()
    srv.close()
  })
  return { port: (srv.address() as net.AddressInfo).port, seen }
}

async function serve (s: net.Socket, log: Seen, opts: ServerOptions, open: Set<{ destroy (): unknown } | dgram.Socket>): Promise<void> {
  const reader = messageReader(s)
  log.greeting = await reader.read(decodeGreeting)
  const want = opts.credentials !== undefined ? AUTH_METHODS.USERNAME_PASSWORD : AUTH_METHODS.NO_AUTH
  if (!log.greeting.methods.includes(want)) {
    s.end(encodeMethodSelection({ method: AUTH_METHODS.NO_ACCEPTABLE }))
    return
  }
  s.write(encodeMethodSelection({ method: want }))
  if (opts.credentials !== undefined) {
    log.auth = await reader.read(decodeAuthRequest)
    const ok = log.auth.username === opts.credentials.username && log.auth.password === opts.credentials.password
    s.write(encodeAuthReply({ status: ok ? 0 : 1 }))
    if (!ok) { s.end(); return }
  }
  const request = log.request = await reader.read(decodeRequest)
  const host = request.target.type === 'domain' ? opts.names?.[request.target.host] ?? '0.0.0.0' : request.target.host

  if (request.command === 'udp_associate') {
    const relay = dgram.createSocket('udp4')
    open.add(relay)
    relay.bind(0, '127.0.0.1')
    await once(relay, 'listening')
    let client: dgram.RemoteInfo | undefined
    relay.on('message', (msg, from) => {
      if (client === undefined || (from.address === client.address && from.port === client.port)) {
        client = from
        const d = decodeUdpDatagram(msg)
        log.datagrams.push({ ...d, data: Buffer.from(d.data) })
        relay.send(d.data, d.target.port, d.target.type === 'domain' ? opts.names?.[d.target.host] ?? '0.0.0.0' : d.target.host)
      } else {
        relay.send(encodeUdpDatagram({ frag: 0, target: addressFromHostPort(from.address, from.port), data: msg }), client.port, client.address)
      }
    })
    s.on('close', () => closeUdp(relay))
    const bound = relay.address()
    s.write(encodeReply({ code: REPLY_CODES.SUCCEEDED, bound: addressFromHostPort(bound.address, bound.port) }))
    return
  }
  if (opts.refuseWith !== undefined) {
    s.end(encodeReply({ code: opts.refuseWith, bound: { type: 'ipv4', host: '0.0.0.0', port: 0 } }))
    return
  }
  const up = net.connect({ host, port: request.target.port })
  open.add(up)
  up.on('error', () => s.destroy())
  await once(up, 'connect')
  s.write(encodeReply({ code: REPLY_CODES.SUCCEEDED, bound: addressFromHostPort(up.localAddress!, up.localPort!) }))
  reader.stop()
  if (reader.rest().length > 0) up.write(reader.rest())
  s.pipe(up)
  up.pipe(s)
}

async function tcpEcho (t: Teardown, host: string): Promise<number> {
  const sockets = new Set<net.Socket>()
  const srv = net.createServer(s => { sockets.add(s); s.on('error', () => {}); s.pipe(s) })
  srv.listen(0, host)
  await once(srv, 'listening')
  t.teardown(() => { for (const s of sockets) s.destroy(); srv.close() })
  return (srv.address() as net.AddressInfo).port
}

async function echoOnce (socket: net.Socket, text: string): Promise<string> {
  socket.write(text)
  const [chunk] = await once(socket, 'data') as [Buffer]
  return chunk.toString()
}

/**
 * socks 2.8's createConnection() accepts only 'connect' (validateSocksClientOptions(options,
 * ['connect'])); ASSOCIATE and BIND go through an instance and its 'established' / 'bound' events.
 */
async function socksCommand (options: SocksClientOptions): Promise<SocksClientEstablishedEvent> {
  const client = new SocksClient(options)
  const done = new Promise<SocksClientEstablishedEvent>((resolve, reject) => {
    client.once('established', resolve)
    client.once('bound', resolve)
    client.once('error', reject)
  })
  client.connect()
  return await done
}

const creds = { username: 'zoné', password: 'p@ss wörd' }

t.test('socks client CONNECTs through our codec: IPv4, IPv6, domain; with and without user/pass', async t => {
  const port4 = await tcpEcho(t, '127.0.0.1')
  const port6 = await tcpEcho(t, '::1')
  const targets: Array<[string, string, number, SocksAddress]> = [
    ['IPv4', '127.0.0.1', port4, { type: 'ipv4', host: '127.0.0.1', port: port4 }],
    ['IPv6', '::1', port6, { type: 'ipv6', host: '::1', port: port6 }],
    ['IPv6 long form', '0:0:0:0:0:0:0:1', port6, { type: 'ipv6', host: '::1', port: port6 }],
    ['domain', 'echo.zonegate.test', port4, { type: 'domain', host: 'echo.zonegate.test', port: port4 }]
  ]
  for (const withAuth of [false, true]) {
    for (const [name, host, port, target] of targets) {
      const proxy = await miniSocksServer(t, { credentials: withAuth ? creds : undefined, names: { 'echo.zonegate.test': '127.0.0.1' } })
      const { socket } = await SocksClient.createConnection({
        proxy: { host: '127.0.0.1', port: proxy.port, type: 5, ...(withAuth ? { userId: creds.username, password: creds.password } : {}) },
        command: 'connect',
        destination: { host, port },
        timeout: 5000
      })
      t.teardown(() => socket.destroy())
      const label = `${name}${withAuth ? ' with user/pass' : ''}`
      t.equal(await echoOnce(socket, 'z'), 'z', `${label}: echoed through the tunnel`)
      const seen = proxy.seen[0]
      t.same(seen.greeting, { methods: withAuth ? [0, 2] : [0] }, `${label}: greeting`)
      t.same(seen.auth, withAuth ? creds : undefined, `${label}: credentials`)
      t.same(seen.request, { command: 'connect', target }, `${label}: request`)
      t.equal(seen.error, undefined)
    }
  }
})

t.test('socks client sees our refusals', async t => {
  const wrong = await miniSocksServer(t, { credentials: creds })
  await t.rejects(SocksClient.createConnection({
    proxy: { host: '127.0.0.1', port: wrong.port, type: 5, userId: creds.username, password: 'nope' },
    command: 'connect', destination: { host: '127.0.0.1', port: 9 }, timeout: 5000
  }), /auth/i, 'auth reply status 1 rejects')
  t.same(wrong.seen[0].auth, { username: creds.username, password: 'nope' })

  const noAuth = await miniSocksServer(t, { credentials: creds })
  await t.rejects(SocksClient.createConnection({
    proxy: { host: '127.0.0.1', port: noAuth.port, type: 5 },
    command: 'connect', destination: { host: '127.0.0.1', port: 9 }, timeout: 5000
  }), /accepted|auth/i, 'NO_ACCEPTABLE method rejects')

  const refused = await miniSocksServer(t, { refuseWith: REPLY_CODES.CONNECTION_REFUSED })
  await t.rejects(SocksClient.createConnection({
    proxy: { host: '127.0.0.1', port: refused.port, type: 5 },
    command: 'connect', destination: { host: '127.0.0.1', port: 9 }, timeout: 5000
  }), /refused|rejected/i, 'REP 5 rejects')

  // BIND decodes (a real SOCKS5 command); this mini server answers it with COMMAND_NOT_SUPPORTED.
  const bindProxy = await miniSocksServer(t, { refuseWith: REPLY_CODES.COMMAND_NOT_SUPPORTED })
  await t.rejects(socksCommand({
    proxy: { host: '127.0.0.1', port: bindProxy.port, type: 5 },
    command: 'bind', destination: { host: '0.0.0.0', port: 0 }, timeout: 5000
  }))
  t.same(bindProxy.seen[0].request, { command: 'bind', target: { type: 'ipv4', host: '0.0.0.0', port: 0 } })
})

t.test('socks client UDP ASSOCIATE through our codec; frames cross-checked both ways', async t => {
  const echo = dgram.createSocket('udp4')
  echo.on('message', (msg, from) => echo.send(msg, from.port, from.address))
  echo.bind(0, '127.0.0.1')
  await once(echo, 'listening')
  const echoPort = echo.address().port
  t.teardown(() => echo.close())

  for (const withAuth of [false, true]) {
    const proxy = await miniSocksServer(t, { credentials: withAuth ? creds : undefined, names: { 'udp.zonegate.test': '127.0.0.1' } })
    const info = await socksCommand({
      proxy: { host: '127.0.0.1', port: proxy.port, type: 5, ...(withAuth ? { userId: creds.username, password: creds.password } : {}) },
      command: 'associate',
      destination: { host: '0.0.0.0', port: 0 },
      timeout: 5000
    })
    t.teardown(() => info.socket.destroy())
    t.same(proxy.seen[0].request, { command: 'udp_associate', target: { type: 'ipv4', host: '0.0.0.0', port: 0 } })
    // The client parsed our reply's BND.ADDR/BND.PORT: that is where the relay listens.
    const relay = info.remoteHost!
    t.equal(relay.host, '127.0.0.1')

    const client = dgram.createSocket('udp4')
    client.bind(0, '127.0.0.1')
    await once(client, 'listening')
    t.teardown(() => client.close())
    for (const [i, host] of ['127.0.0.1', 'udp.zonegate.test'].entries()) {
      const data = Buffer.from(`datagram ${i} ${withAuth}`)
      client.send(SocksClient.createUDPFrame({ remoteHost: { host, port: echoPort }, data }), relay.port, relay.host)
      const [msg] = await once(client, 'message') as [Buffer]
      const frame = SocksClient.parseUDPFrame(msg)
      t.equal(frame.data.toString(), data.toString(), `${host}: echoed through the relay`)
      t.same(frame.remoteHost, { host: '127.0.0.1', port: echoPort }, `${host}: reply source as encoded by us`)
      const d = proxy.seen[0].datagrams[i]
      t.same({ frag: d.frag, target: d.target, data: d.data.toString() },
        { frag: 0, target: addressFromHostPort(host, echoPort), data: data.toString() }, `${host}: what our decoder saw`)
    }
  }
})

t.test('property: createUDPFrame ≡ encodeUdpDatagram; parseUDPFrame and decodeUdpDatagram agree', async t => {
  const canonical6 = (h: string): string => new net.SocketAddress({ address: h, family: 'ipv6' }).address
  const port = fc.integer({ min: 0, max: 0xffff })
  const host = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain().filter(d => d.length <= 255))
  fc.assert(fc.property(host, port, fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 512 }), (h, p, frag, bytes) => {
    const data = Buffer.from(bytes)
    const target = addressFromHostPort(h, p)
    const theirs = SocksClient.createUDPFrame({ frameNumber: frag, remoteHost: { host: h, port: p }, data })
    const ours = encodeUdpDatagram({ frag, target, data })
    if (!theirs.equals(ours)) return false
    const decoded = decodeUdpDatagram(theirs)
    const parsed = SocksClient.parseUDPFrame(ours)
    const parsedHost = target.type === 'ipv6' ? canonical6(parsed.remoteHost.host) : parsed.remoteHost.host
    return JSON.stringify(decoded.target) === JSON.stringify(target) && decoded.frag === frag && decoded.data.equals(data) &&
      parsed.frameNumber === frag && parsedHost === target.host && parsed.remoteHost.port === p && parsed.data.equals(data)
  }), { interruptAfterTimeLimit: 3000, numRuns: 3000 })
  t.pass('the two implementations agree')
})
