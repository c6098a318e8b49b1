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
export { echoTarget } from '../../helpers/socks-target.ts'

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
