// Shared fixtures for the SOCKS server engine tests: the engine behind a loopback listener, an echo
// target, raw-byte clients and curl run asynchronously (the server lives in this same process).
import net from 'node:net'
import { once } from 'node:events'
import { execFile } from 'node:child_process'
import { createSocksServer, type SocksServerDeps, type SocksServerOptions, type SocksDecision, type SocksSessionEntry } from '../../../src/socks/server.ts'
import { TunnelRegistry } from '../../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../../src/tunnel/tcp/index.ts'
import { socksTunnel } from '../../../src/socks/tunnel.ts'
import { silentLogger } from '../../../src/core/logger.ts'

export interface TestLike { teardown(fn: () => unknown): void }

export function registry (t: TestLike): TunnelRegistry {
  const logger = silentLogger()
  const r = new TunnelRegistry().register(tcpTunnel({ logger })).register(socksTunnel({ logger }))
  t.teardown(() => r.close())
  return r
}

export interface Started {
  port: number
  engine: ReturnType<typeof createSocksServer>
  sessions: SocksSessionEntry[]
  /** The next session entry not yet taken (in order), waiting for it if needed. */
  nextSession: () => Promise<SocksSessionEntry>
}

export async function startServer (t: TestLike, options: Partial<SocksServerOptions> = {},
  decide: SocksServerDeps['decide'] = (): SocksDecision => ({ action: 'direct' })): Promise<Started> {
  const reg = registry(t)
  const sessions: SocksSessionEntry[] = []
  const waiters: Array<() => void> = []
  let taken = 0
  const nextSession = async (): Promise<SocksSessionEntry> => {
    while (sessions.length <= taken) await new Promise<void>(resolve => waiters.push(resolve))
    return sessions[taken++]
  }
  const engine = createSocksServer({
    decide,
    open: async (url, o) => await reg.open(url, o),
    logger: silentLogger(),
    onSessionDone: e => { sessions.push(e); for (const w of waiters.splice(0)) w() }
  }, options)
  const srv = net.createServer({ allowHalfOpen: true }, s => { void engine.handle(s) })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => { engine.close(); srv.close() })
  return { port: (srv.address() as net.AddressInfo).port, engine, sessions, nextSession }
}

/** Echo (or custom) TCP target on 127.0.0.1 (and ::1 on the same port when possible). */
export async function echoTarget (t: TestLike, onConn: (s: net.Socket) => void = s => s.pipe(s)): Promise<{ port: number, v6: boolean, next: () => Promise<net.Socket> }> {
  const waiting: Array<(s: net.Socket) => void> = []
  const queued: net.Socket[] = []
  const sockets = new Set<net.Socket>()
  t.teardown(() => { for (const s of sockets) s.destroy() })
  const handle = (s: net.Socket): void => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
    s.on('error', () => {})
    onConn(s)
    const w = waiting.shift()
    if (w != null) w(s); else queued.push(s)
  }
  const v4 = net.createServer({ allowHalfOpen: true }, handle)
  v4.listen(0, '127.0.0.1')
  await once(v4, 'listening')
  t.teardown(() => v4.close())
  const port = (v4.address() as net.AddressInfo).port
  const v6srv = net.createServer({ allowHalfOpen: true }, handle)
  const v6 = await new Promise<boolean>(resolve => {
    v6srv.once('error', () => resolve(false))
    v6srv.listen(port, '::1', () => resolve(true))
  })
  if (v6) t.teardown(() => v6srv.close())
  const next = async (): Promise<net.Socket> => queued.shift() ?? await new Promise<net.Socket>(resolve => waiting.push(resolve))
  return { port, v6, next }
}

/** Connect, write `bytes`, return everything received until the server closes. */
export async function rawExchange (port: number, bytes: Buffer): Promise<{ data: Buffer, error?: Error }> {
  const s = net.connect({ host: '127.0.0.1', port })
  const chunks: Buffer[] = []
  let error: Error | undefined
  s.on('data', c => chunks.push(c))
  s.on('error', e => { error = e })
  s.write(bytes)
  await once(s, 'close')
  return { data: Buffer.concat(chunks), ...(error != null ? { error } : {}) }
}

/** Greeting (no-auth) + CONNECT request bytes for an IPv4 target. */
export function connectBytes (host: string, port: number, cmd = 1): Buffer {
  const p = Buffer.alloc(2)
  p.writeUInt16BE(port)
  return Buffer.concat([Buffer.from([5, 1, 0]), Buffer.from([5, cmd, 0, 1, ...host.split('.').map(Number)]), p])
}

export async function curl (args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return await new Promise(resolve => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], (err, stdout, stderr) => {
      resolve({ code: err == null ? 0 : Number((err as { code?: unknown }).code ?? 1), stdout, stderr })
    })
  })
}
