// A TCP listener whose every connection is forwarded to one tunnel URL. This is the seam the
// processing chain replaces: a stack accepts connections and hands each to a decision; here the
// decision is always "forward to this URL".
import net from 'node:net'
import type { Logger } from '../core/logger.ts'
import type { StackConfig } from '../config/types.ts'
import type { TunnelRegistry } from '../tunnel/registry.ts'
import { splice } from '../tunnel/pipe.ts'
import { parseHostPort } from '../config/host-port.ts'

export interface Stack {
  readonly id: string
  readonly url: string
  close(): Promise<void>
}

/** How long a client may wait for its upstream stream to open before we give up on it. */
const OPEN_TIMEOUT_MS = 15_000

export async function startForwardStack (cfg: StackConfig, registry: TunnelRegistry, logger: Logger): Promise<Stack> {
  const log = logger.child({ mod: 'gateway.stack', stack: cfg.id })
  const sockets = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    sockets.add(client)
    client.once('close', () => sockets.delete(client))
    void handle(client)
  })
  async function handle (client: net.Socket): Promise<void> {
    const started = performance.now()
    const remote = `${client.remoteAddress}:${client.remotePort}`
    client.on('error', () => {})
    const ac = new AbortController()
    const onGone = (): void => ac.abort()
    client.once('close', onGone)
    const timer = setTimeout(() => ac.abort(), OPEN_TIMEOUT_MS)
    let upstream
    try {
      upstream = await registry.open(cfg.forward, { signal: ac.signal })
    } catch (err) {
      log.warn({ err: { code: (err as { code?: string }).code, message: (err as Error).message }, remote, upstream: cfg.forward }, 'upstream open failed')
      client.destroy()
      return
    } finally {
      clearTimeout(timer)
      client.off('close', onGone)
    }
    try {
      const r = await splice(client, upstream)
      log.info({ remote, upstream: cfg.forward, bytesIn: r.aToB, bytesOut: r.bToA, ms: Math.round(performance.now() - started) }, 'connection closed')
    } catch (err) {
      const e = err as Error & { aToB?: number, bToA?: number, code?: string }
      log.info({ remote, upstream: cfg.forward, bytesIn: e.aToB, bytesOut: e.bToA, ms: Math.round(performance.now() - started), err: { code: e.code, message: e.message } }, 'connection closed')
    }
  }
  const addr0 = parseHostPort(cfg.listen, 'listen')
  if (typeof addr0 === 'string') throw new TypeError(`stack ${cfg.id}: listen ${cfg.listen}: ${addr0}`)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: addr0.host, port: addr0.port }, () => { server.off('error', reject); resolve() })
  })
  const addr = server.address() as net.AddressInfo
  const url = `tcp://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
  log.info({ url, forward: cfg.forward }, 'listening')
  return {
    id: cfg.id,
    url,
    async close () {
      await new Promise<void>(resolve => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
      })
    }
  }
}
