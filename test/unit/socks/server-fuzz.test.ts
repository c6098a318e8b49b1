// Random and truncated bytes sent to the engine: every session ends (the server closes or the
// handshake timeout fires), nothing throws, nothing is buffered beyond what the codec declares, and
// the server still serves a well-formed client afterwards.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import fc from 'fast-check'
import { SocksClient } from 'socks'
import { echoTarget, startServer } from './server-fixtures.ts'
import { withinTime } from '../../helpers/within-time.ts'

t.test('random bytes, random splits: sessions end, the server keeps serving', async t => {
  // Network rule: a random request must never leave loopback, so decide() rejects everything else.
  const loopback = (host: string): boolean => host.startsWith('127.') || host === '::1'
  const { port, engine } = await startServer(t, { handshakeTimeoutMs: 300, connectTimeoutMs: 500, auth: { required: false, users: new Map([['u', 'p']]) } },
    f => f.target.type !== 'domain' && loopback(f.target.host) ? { action: 'direct' } : { action: 'reject' })
  const prefix = fc.constantFrom(Buffer.alloc(0), Buffer.from([5, 1, 0]), Buffer.from([5, 1, 2, 1, 1, 0x75, 1, 0x70]), Buffer.from([5, 1, 0, 5, 1, 0]))
  await fc.assert(fc.asyncProperty(prefix, fc.uint8Array({ maxLength: 300 }), fc.boolean(), withinTime(4000, async (head, tail, endEarly) => {
    const s = net.connect({ host: '127.0.0.1', port })
    s.on('error', () => {})
    s.resume()
    const closed = once(s, 'close')
    s.write(Buffer.concat([head, tail]))
    if (endEarly) s.end()
    // The server must close it (answer + close, or the handshake timeout); a relayed session to a
    // random target would also end: its open fails or is refused within the loopback.
    const timer = setTimeout(() => s.destroy(), 3000)
    await closed
    clearTimeout(timer)
    return true
  })), { numRuns: 200 })
  const target = await echoTarget(t)
  const { socket } = await SocksClient.createConnection({ proxy: { host: '127.0.0.1', port, type: 5 }, command: 'connect', destination: { host: '127.0.0.1', port: target.port } })
  socket.end('still alive')
  const chunks: Buffer[] = []
  for await (const c of socket) chunks.push(c as Buffer)
  t.equal(Buffer.concat(chunks).toString(), 'still alive')
  t.ok(engine.active <= 1)
})
