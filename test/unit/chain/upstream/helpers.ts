// Shared by the upstream tests: a seeded RNG, a fake clock, fake streams and loopback servers.
import net from 'node:net'
import { once } from 'node:events'
import { Duplex } from 'node:stream'

/** A small seeded PRNG (mulberry32), so distribution tests are repeatable. */
export function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32
  }
}

export class FakeClock {
  ms = 1000
  now = (): number => this.ms
  advance (ms: number): void { this.ms += ms }
}

/** A stream that accepts writes and never yields data, for balancing tests that need no network. */
export function nullStream (): Duplex {
  return new Duplex({ read () {}, write (_c, _e, cb) { cb() } })
}

export interface Server {
  url: string
  port: number
  accepted: net.Socket[]
  close(): void
}

/** A loopback TCP server (half-close kept) calling `onConnection` for each accepted socket. */
export async function server (onConnection: (s: net.Socket) => void = () => {}): Promise<Server> {
  const accepted: net.Socket[] = []
  const srv = net.createServer({ allowHalfOpen: true }, s => { accepted.push(s); s.on('error', () => {}); onConnection(s) })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as net.AddressInfo).port
  return {
    url: `tcp://127.0.0.1:${port}`,
    port,
    accepted,
    close () { for (const s of accepted) s.destroy(); srv.close() }
  }
}

/** Everything a stream yields until it ends (or closes, or fails). */
export function drain (s: Duplex): Promise<Buffer> {
  return new Promise(resolve => {
    const chunks: Buffer[] = []
    s.on('data', (c: Buffer) => chunks.push(c))
    const done = (): void => resolve(Buffer.concat(chunks))
    s.once('end', done); s.once('close', done); s.once('error', done)
  })
}
