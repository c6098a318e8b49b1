import t from 'tap'
import net from 'node:net'
import tls from 'node:tls'
import { once } from 'node:events'
import { Duplex } from 'node:stream'
import { loadCertStore, type CertStore } from '../../../../src/chain/tls/cert-store.ts'
import { terminateTls, type TerminateOptions } from '../../../../src/chain/tls/terminate.ts'
import { parseClientHello } from '../../../../src/chain/probes/tls-client-hello.ts'
import { makeCert, type MadeCert } from './make-cert.ts'

interface Served { error?: { code?: string }, tls?: tls.TLSSocket, peeked?: number }

/**
 * A loopback server that does what the chain does: read until the whole ClientHello is there,
 * unshift() it back onto the net.Socket, then terminate TLS. `served` settles with the outcome.
 */
async function server (t: { teardown: (fn: () => void) => void }, options: Omit<TerminateOptions, 'store'> & { store: CertStore }, peek = true): Promise<{ port: number, served: () => Promise<Served> }> {
  const results: Array<Promise<Served>> = []
  const srv = net.createServer(sock => {
    results.push((async (): Promise<Served> => {
      let peeked = 0
      if (peek) {
        let buf = Buffer.alloc(0)
        for (;;) {
          await once(sock, 'readable')
          let chunk: Buffer | null
          while ((chunk = sock.read() as Buffer | null) !== null) buf = Buffer.concat([buf, chunk])
          if (parseClientHello(buf).status === 'done') break
        }
        peeked = buf.length
        sock.unshift(buf)
      }
      try {
        const s = await terminateTls(sock, options)
        s.on('data', (d: Buffer) => s.write(Buffer.concat([Buffer.from('echo:'), d])))
        s.on('error', () => {})
        return { tls: s, peeked }
      } catch (err) {
        return { error: err as { code?: string }, peeked }
      }
    })())
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => { srv.close() })
  return {
    port: (srv.address() as net.AddressInfo).port,
    served: async () => {
      while (results.length === 0) await once(srv, 'connection')
      return await results.shift()!
    }
  }
}

async function dial (port: number, options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  const c = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options })
  await once(c, 'secureConnect')
  return c
}

let certs: Record<'def' | 'exact' | 'wild', MadeCert>
let store: CertStore

t.before(async () => {
  const dir = t.testdir()
  const [def, exact, wild] = await Promise.all([
    makeCert(dir, 'def', { cn: 'default.test' }),
    makeCert(dir, 'exact', { cn: 'app.example.com' }),
    makeCert(dir, 'wild', { cn: 'wild', dns: ['*.example.com'] })
  ])
  certs = { def, exact, wild }
  store = await loadCertStore([def, exact, wild].map(c => ({ certFile: c.certFile, keyFile: c.keyFile, sni: [] })))
})

t.test('serves the certificate for exact, wildcard, unknown and absent names, after an unshifted hello', async t => {
  const { port, served } = await server(t, { store, alpn: [], handshakeTimeoutMs: 5000 })
  const cases: Array<[string | undefined, MadeCert]> = [
    ['app.example.com', certs.exact],
    ['other.example.com', certs.wild],
    ['x.y.example.com', certs.def],
    ['unknown.test', certs.def],
    [undefined, certs.def]
  ]
  for (const [servername, want] of cases) {
    const c = await dial(port, servername !== undefined ? { servername } : {})
    const s = await served()
    t.ok((s.peeked ?? 0) > 0, 'the hello was read and unshifted before wrapping')
    t.equal(c.getPeerCertificate().fingerprint256, want.fingerprint256, `certificate for ${servername ?? 'no SNI'}`)
    t.equal(s.tls?.servername, servername ?? false, 'the server socket knows the name')
    c.write('ping')
    const [echo] = await once(c, 'data') as [Buffer]
    t.equal(echo.toString(), 'echo:ping', 'data flows both ways after the handshake')
    c.destroy()
  }
})

t.test('ALPN', async t => {
  const { port, served } = await server(t, { store, alpn: ['h2', 'http/1.1'], handshakeTimeoutMs: 5000 })
  const c = await dial(port, { servername: 'app.example.com', ALPNProtocols: ['http/1.1', 'h2'] })
  const s = await served()
  t.equal(c.alpnProtocol, 'h2', 'our order of preference wins')
  t.equal(s.tls?.alpnProtocol, 'h2')
  c.destroy()

  const plain = await dial(port, { servername: 'app.example.com' })
  t.equal((await served()).tls?.alpnProtocol, false, 'a client without ALPN still connects')
  plain.destroy()

  const only = await dial(port, { servername: 'app.example.com', ALPNProtocols: ['http/1.1'] })
  t.equal(only.alpnProtocol, 'http/1.1')
  t.equal((await served()).tls?.alpnProtocol, 'http/1.1')
  only.destroy()

  const other = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'app.example.com', ALPNProtocols: ['imap'] })
  other.on('error', () => {})
  const s2 = await served()
  t.equal(s2.error?.code, 'CHAIN_ERR_TLS_HANDSHAKE_FAILED', 'no common protocol fails the handshake')
  other.destroy()
})

t.test('handshake timeout destroys the stream', async t => {
  const { port, served } = await server(t, { store, alpn: [], handshakeTimeoutMs: 150 }, false)
  const c = net.connect(port, '127.0.0.1')
  c.on('error', () => {})
  await once(c, 'connect')
  c.write(Buffer.from([0x16, 0x03, 0x01])) // a hello that never completes
  const s = await served()
  t.equal(s.error?.code, 'CHAIN_ERR_TLS_HANDSHAKE_TIMEOUT')
  await once(c, 'close')
  t.pass('the client was disconnected')
})

t.test('garbage and early close are handshake failures', async t => {
  const { port, served } = await server(t, { store, alpn: [], handshakeTimeoutMs: 5000 }, false)
  const c = net.connect(port, '127.0.0.1')
  c.on('error', () => {})
  c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
  t.equal((await served()).error?.code, 'CHAIN_ERR_TLS_HANDSHAKE_FAILED')
  await once(c, 'close')

  const d = net.connect(port, '127.0.0.1')
  d.on('error', () => {})
  d.end(Buffer.from([0x16, 0x03, 0x01]))
  t.equal((await served()).error?.code, 'CHAIN_ERR_TLS_HANDSHAKE_FAILED', 'client closed mid-handshake')
})

t.test('abort signal', async t => {
  const ac = new AbortController()
  const { port, served } = await server(t, { store, alpn: [], handshakeTimeoutMs: 5000, signal: ac.signal }, false)
  const c = net.connect(port, '127.0.0.1')
  c.on('error', () => {})
  await once(c, 'connect')
  ac.abort()
  t.equal((await served()).error?.code, 'CHAIN_ERR_TLS_ABORTED')
  await once(c, 'close')

  const already = new Duplex({ read () {}, write (_c, _e, cb) { cb() } })
  await t.rejects(terminateTls(already, { store, alpn: [], handshakeTimeoutMs: 1000, signal: ac.signal }), { code: 'CHAIN_ERR_TLS_ABORTED' })
  t.ok(already.destroyed, 'the stream is destroyed')
})

t.test('any Duplex works, not only a net.Socket', async t => {
  // Two in-memory Duplexes wired back to back: the client side is a real tls.connect over one.
  let a: Duplex | undefined
  let b: Duplex | undefined
  a = new Duplex({ read () {}, write (chunk, _e, cb) { b!.push(chunk); cb() }, final (cb) { b!.push(null); cb() } })
  b = new Duplex({ read () {}, write (chunk, _e, cb) { a!.push(chunk); cb() }, final (cb) { a!.push(null); cb() } })
  const client = tls.connect({ socket: a, servername: 'z.example.com', rejectUnauthorized: false, ALPNProtocols: ['h2'] })
  const [server] = await Promise.all([
    terminateTls(b, { store, alpn: ['h2'], handshakeTimeoutMs: 5000 }),
    once(client, 'secureConnect')
  ])
  t.equal(client.getPeerCertificate().fingerprint256, certs.wild.fingerprint256)
  t.equal(server.alpnProtocol, 'h2')
  client.destroy()
  server.destroy()
})
