import t from 'tap'
import fc from 'fast-check'
import net from 'node:net'
import tls from 'node:tls'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { parseClientHello, DEFAULT_MAX_HELLO_BYTES, MAX_RECORD_PAYLOAD, type ClientHelloResult } from '../../../../src/chain/probes/tls-client-hello.ts'
import { encodeClientHello, frame, unframe, randomSizes, addExtension, extension, type HelloSpec } from '../../../fixtures/client-hello.ts'

/** Listen on loopback, run `dial(port)`, and resolve with the first bytes once they hold a whole hello. */
async function capture (dial: (port: number) => () => void): Promise<Buffer> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  let stop = (): void => {}
  try {
    const got = new Promise<Buffer>((resolve, reject) => {
      server.once('connection', sock => {
        let buf = Buffer.alloc(0)
        sock.on('error', () => {})
        sock.on('data', chunk => {
          buf = Buffer.concat([buf, chunk])
          try {
            if (parseClientHello(buf).status !== 'need_more') { sock.destroy(); resolve(buf) }
          } catch (err) { sock.destroy(); reject(err as Error) }
        })
        sock.on('close', () => reject(new Error('closed before a whole hello')))
      })
    })
    stop = dial(port)
    return await got
  } finally {
    stop()
    server.close()
  }
}

function nodeHello (port: number): () => void {
  const s = tls.connect({ host: '127.0.0.1', port, servername: 'App.Example.TEST', ALPNProtocols: ['h2', 'http/1.1'] })
  s.on('error', () => {})
  return () => s.destroy()
}

function opensslHello (port: number): () => void {
  const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'x.example', '-alpn', 'h2,http/1.1'], { stdio: ['pipe', 'ignore', 'ignore'] })
  child.on('error', () => {})
  return () => { if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid) }
}

function done (r: ClientHelloResult): Extract<ClientHelloResult, { status: 'done' }> {
  if (r.status !== 'done') throw new Error(`expected a hello, got ${r.status}`)
  return r
}

function isOurs (err: unknown): boolean {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && code.startsWith('CHAIN_ERR_')
}

let nodeWire: Buffer
let opensslWire: Buffer

t.before(async () => {
  nodeWire = await capture(nodeHello)
  opensslWire = await capture(opensslHello)
  if (process.env.CAPTURE_HELLOS === '1') { // refresh the corpus: CAPTURE_HELLOS=1 npx tap run <this file>
    writeFileSync(new URL('node24-tls.hex', corpus), nodeWire.toString('hex') + '\n')
    writeFileSync(new URL('openssl-s_client.hex', corpus), opensslWire.toString('hex') + '\n')
  }
})

// Hellos captured once from real clients (hex, one per file), kept as a corpus for the fuzz properties.
const corpus = new URL('../../../fixtures/client-hello/', import.meta.url)
const corpusWires = (): Buffer[] => readdirSync(corpus).filter(f => f.endsWith('.hex')).map(f => Buffer.from(readFileSync(new URL(f, corpus), 'utf8').trim(), 'hex'))

t.test('every hello in the fixture corpus parses, with SNI and ALPN', async t => {
  const wires = corpusWires()
  t.ok(wires.length >= 2, 'corpus present')
  for (const wire of wires) {
    const r = done(parseClientHello(wire))
    t.ok(r.hello.sni !== undefined && r.hello.alpn.includes('h2'))
  }
})

t.test('a node:tls hello gives SNI (lower-cased), ALPN and versions', async t => {
  const r = done(parseClientHello(nodeWire))
  t.equal(r.bytes, nodeWire.length)
  t.equal(r.hello.sni, 'app.example.test')
  t.same(r.hello.alpn, ['h2', 'http/1.1'])
  t.equal(r.hello.legacyVersion, 0x0303)
  t.ok(r.hello.supportedVersions.includes(0x0304))
  t.ok(r.hello.cipherSuites.includes(0x1301))
  t.equal(r.hello.hasEarlyData, false)
})

t.test('an openssl s_client hello gives SNI and ALPN', async t => {
  const r = done(parseClientHello(opensslWire))
  t.equal(r.hello.sni, 'x.example')
  t.same(r.hello.alpn, ['h2', 'http/1.1'])
  t.ok(r.hello.supportedVersions.includes(0x0304))
})

t.test('bytes after the hello are not looked at, and `bytes` says where the hello ends', async t => {
  const r = done(parseClientHello(Buffer.concat([nodeWire, Buffer.from([0x17, 0xff, 0xff])])))
  t.equal(r.bytes, nodeWire.length)
})

t.test('every prefix of a real hello asks for more', async t => {
  for (const wire of [nodeWire, opensslWire]) {
    for (let i = 0; i < wire.length; i++) {
      if (parseClientHello(wire.subarray(0, i)).status !== 'need_more') t.fail(`prefix ${i}`)
    }
  }
  t.pass('all prefixes need more')
})

t.test('not TLS is told from the first byte', async t => {
  t.same(parseClientHello(Buffer.from('G')), { status: 'not_tls' })
  t.same(parseClientHello(Buffer.from([0x05, 0x01, 0x00])), { status: 'not_tls' })
  t.same(parseClientHello(Buffer.from([0x16])), { status: 'need_more' })
  t.same(parseClientHello(Buffer.alloc(0)), { status: 'need_more' })
})

t.test('a real hello re-split into records of random sizes parses the same', async t => {
  for (const wire of [nodeWire, opensslWire]) {
    const msg = unframe(wire)
    const want = done(parseClientHello(wire)).hello
    for (const max of [1, 7, 100, 500]) {
      const reframed = frame(msg, randomSizes(msg.length, max))
      const r = done(parseClientHello(reframed))
      t.same(r.hello, want, `fragments up to ${max} bytes`)
      t.equal(r.bytes, reframed.length)
    }
  }
})

t.test('a post-quantum-sized hello over several full records parses, and prefixes need more', async t => {
  const msg = addExtension(unframe(nodeWire), extension(21, Buffer.alloc(40000)))
  const wire = frame(msg)
  t.ok(wire.length > 2 * 16384, 'three records')
  const r = done(parseClientHello(wire))
  t.equal(r.hello.sni, 'app.example.test')
  for (const cut of [5, 16389, 16390, 32000, wire.length - 1]) t.same(parseClientHello(wire.subarray(0, cut)), { status: 'need_more' }, `cut at ${cut}`)
})

t.test('an oversized hello is refused before it is buffered', async t => {
  // inflate the padding so the extensions block is at its u16 maximum: the hello passes 64 KiB
  const base = unframe(nodeWire)
  const extLen = base.length - lastExtOffset(base) + (lastExtOffset(base) - extStart(base))
  const msg = addExtension(base, extension(21, Buffer.alloc(0xffff - extLen - 4)))
  t.ok(msg.length > DEFAULT_MAX_HELLO_BYTES)
  const wire = frame(msg)
  // the handshake header alone is enough to refuse it
  t.throws(() => parseClientHello(wire.subarray(0, 9)), { code: 'CHAIN_ERR_CLIENT_HELLO_TOO_LARGE' })
  t.throws(() => parseClientHello(wire), { code: 'CHAIN_ERR_CLIENT_HELLO_TOO_LARGE' })
  t.throws(() => parseClientHello(nodeWire, { maxBytes: 100 }), { code: 'CHAIN_ERR_CLIENT_HELLO_TOO_LARGE' })
  const mid = addExtension(base, extension(21, Buffer.alloc(10000)))
  t.throws(() => parseClientHello(frame(mid, randomSizes(mid.length, 1))), { code: 'CHAIN_ERR_BAD_CLIENT_HELLO' }, 'too many records')
})

t.test('malformed hellos give coded errors', async t => {
  const bad = { code: 'CHAIN_ERR_BAD_CLIENT_HELLO' }
  const msg = unframe(nodeWire)
  t.throws(() => parseClientHello(Buffer.from([22, 2])), bad, 'record version')
  t.throws(() => parseClientHello(Buffer.from([22, 3, 1, 0, 0])), bad, 'empty record')
  const big = Buffer.from([22, 3, 1, 0, 0]); big.writeUInt16BE(MAX_RECORD_PAYLOAD + 1, 3)
  t.throws(() => parseClientHello(big), bad, 'record too long')
  t.throws(() => parseClientHello(Buffer.from([22, 3, 1, 0, 4, 2, 0, 0, 0])), bad, 'server hello')
  const split = frame(msg, [10])
  const wrongType = Buffer.from(split); wrongType[5 + 10] = 0x17
  t.throws(() => parseClientHello(wrongType), bad, 'application data after the first record')
  t.throws(() => parseClientHello(frame(Buffer.concat([msg, Buffer.from([0])]))), bad, 'bytes after the hello in its record')
  const dup = addExtension(msg, extension(16, Buffer.from([0, 3, 2, 104, 50])))
  t.throws(() => parseClientHello(frame(dup)), bad, 'duplicate ALPN')
  for (const name of ['a..b', '-a.example', 'a_b.example', 'x.example.', 'ü.example', 'a'.repeat(64) + '.x', '']) {
    t.throws(() => parseClientHello(frame(encodeClientHello({ sni: name }))), bad, `server name ${JSON.stringify(name)}`)
  }
  t.throws(() => parseClientHello(frame(encodeClientHello({ alpn: [''] }))), bad, 'empty ALPN name')
  t.throws(() => parseClientHello(frame(encodeClientHello({ cipherSuites: [] }))), bad, 'no cipher suites')
  // extension whose declared length overruns the extensions block
  const overrun = Buffer.from(msg); overrun.writeUInt16BE(0xffff, overrun.length - (msg.length - lastExtOffset(msg)) + 2)
  t.throws(() => parseClientHello(frame(overrun)), bad, 'extension overruns')
  const truncated = Buffer.from(msg.subarray(0, msg.length - 1)); truncated.writeUIntBE(truncated.length - 4, 1, 3)
  t.throws(() => parseClientHello(frame(truncated)), bad, 'truncated vector')
})

/** Offset of the first extension of a handshake message. */
function extStart (msg: Buffer): number {
  let p = 4 + 2 + 32
  p += 1 + msg[p]
  p += 2 + msg.readUInt16BE(p)
  p += 1 + msg[p]
  return p + 2
}

/** Offset of the last extension of a handshake message. */
function lastExtOffset (msg: Buffer): number {
  let p = 4 + 2 + 32
  p += 1 + msg[p]
  p += 2 + msg.readUInt16BE(p)
  p += 1 + msg[p]
  const end = p + 2 + msg.readUInt16BE(p)
  p += 2
  let last = p
  while (p < end) { last = p; p += 4 + msg.readUInt16BE(p + 2) }
  return last
}

t.test('property: generated hellos in random records round-trip to the same facts', async t => {
  const alpnName = fc.uint8Array({ minLength: 1, maxLength: 20 }).map(b => Buffer.from(b).toString('latin1'))
  const spec = fc.record({
    sni: fc.option(fc.domain(), { nil: undefined }),
    alpn: fc.array(alpnName, { maxLength: 6 }),
    cipherSuites: fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 40 }),
    supportedVersions: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 }),
    earlyData: fc.boolean(),
    legacyVersion: fc.integer({ min: 0, max: 0xffff })
  })
  fc.assert(fc.property(spec, fc.integer({ min: 1, max: 300 }), fc.infiniteStream(fc.double({ min: 0, max: 0.999, noNaN: true })), (s: HelloSpec, max, stream) => {
    const msg = encodeClientHello(s)
    const it = stream[Symbol.iterator]()
    const wire = frame(msg, randomSizes(msg.length, max, () => it.next().value as number))
    const r = done(parseClientHello(wire))
    const want = { alpn: s.alpn, legacyVersion: s.legacyVersion, supportedVersions: s.supportedVersions, cipherSuites: s.cipherSuites, hasEarlyData: s.earlyData, ...(s.sni !== undefined ? { sni: s.sni.toLowerCase() } : {}) }
    t.same(r.hello, want)
    return r.bytes === wire.length
  }), { interruptAfterTimeLimit: 3000, numRuns: 1000 })
})

t.test('property: random bytes give a result or a coded error; never a crash', async t => {
  const arb = fc.oneof(
    fc.uint8Array({ maxLength: 4096 }),
    fc.uint8Array({ maxLength: 4096 }).map(b => Buffer.concat([Buffer.from([22, 3, 1]), b])),
    fc.uint8Array({ maxLength: 4096 }).map(b => { const h = Buffer.from([22, 3, 1, 0, 0, 1, 0, 0, 0]); h.writeUInt16BE(b.length + 4, 3); h.writeUIntBE(b.length, 6, 3); return Buffer.concat([h, b]) })
  )
  fc.assert(fc.property(arb, bytes => {
    try {
      const r = parseClientHello(Buffer.from(bytes))
      return ['done', 'need_more', 'not_tls'].includes(r.status)
    } catch (err) { return isOurs(err) }
  }), { interruptAfterTimeLimit: 3000, numRuns: 20000 })
  t.pass('no crash on random input')
})

t.test('property: random mutations of real hellos give a result or a coded error', async t => {
  const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
  fc.assert(fc.property(fc.constantFrom(nodeWire, opensslWire, ...corpusWires()), mutation, fc.nat(), (wire, edits, cut) => {
    const m = Buffer.from(wire)
    for (const [i, v] of edits) m[i % m.length] = v
    try {
      const r = parseClientHello(m.subarray(0, m.length - (cut % 4 === 0 ? cut % m.length : 0)))
      return ['done', 'need_more', 'not_tls'].includes(r.status)
    } catch (err) { return isOurs(err) }
  }), { interruptAfterTimeLimit: 3000, numRuns: 20000 })
  t.pass('no crash on mutated hellos')
})
