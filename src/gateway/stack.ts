// A stack: a listener whose every connection enters a chain. It listens on host:port (TCP) or on
// a tunnel listen URL (rtcp://local/<name>: streams other devices open to this node by name, each
// carrying the device's identity as `peer`). The chain set is swapped by reload; a connection
// keeps the set it was accepted with.
import net from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from '../core/logger.ts'
import type { StackConfig } from '../config/types.ts'
import type { TunnelRegistry } from '../tunnel/registry.ts'
import type { TunnelListener, TunnelStream } from '../tunnel/types.ts'
import type { ChainSet } from '../chain/runtime/chain-set.ts'
import type { AccessLog } from '../chain/runtime/access-log.ts'
import type { ConnFacts } from '../chain/types.ts'
import type { UpstreamPool } from '../chain/http/proxy/pool.ts'
import { runConnection } from '../chain/runtime/connection.ts'
import { parseHostPort } from '../config/host-port.ts'

export interface Stack {
  readonly id: string
  readonly url: string
  readonly listen: string
  /** The id, the chain new connections enter, and the set it is looked up in (reload). */
  use(id: string, chain: string, chains: ChainSet): void
  /** Open connections. */
  readonly active: number
  /** Stop accepting; open connections go on unless `destroy` is set. */
  close(options?: { destroy?: boolean }): Promise<void>
}

export interface StackDeps {
  registry: TunnelRegistry
  logger: Logger
  access: AccessLog
  signal: AbortSignal
  pool: UpstreamPool
}

export async function startStack (cfg: StackConfig, chains: ChainSet, deps: StackDeps): Promise<Stack> {
  const log = deps.logger.child({ mod: 'gateway.stack', stack: cfg.id })
  const open = new Set<Duplex>()
  let id = cfg.id
  let chain = cfg.chain
  let set = chains

  const accept = (stream: Duplex, facts: ConnFacts, destination: { address: string, port: number }): void => {
    open.add(stream)
    stream.once('close', () => open.delete(stream))
    runConnection(stream, facts, chain, { chains: set, logger: log, access: deps.access, destination, signal: deps.signal, pool: deps.pool })
      .catch((err: unknown) => {
        log.error({ err }, 'connection handling failed')
        stream.destroy()
      })
  }

  let url: string
  let stopAccepting: () => Promise<void>
  if (cfg.listen.includes('://')) {
    const listener: TunnelListener = await deps.registry.listen(cfg.listen)
    url = cfg.listen
    void (async () => {
      for await (const s of listener.accept()) {
        const stream = s as TunnelStream
        let peer: string | undefined
        try { peer = decodeURIComponent(stream.remoteUrl.hostname) } catch { peer = undefined }
        accept(stream, { stack: id, localPort: 0, source: { address: '127.0.0.1', port: 0 }, ...(peer?.startsWith('did:') === true ? { peer } : {}) }, { address: '127.0.0.1', port: 0 })
      }
    })().catch((err: unknown) => log.warn({ err }, 'listener stopped'))
    stopAccepting = async () => { await listener.close() }
  } else {
    const hp = parseHostPort(cfg.listen, 'listen')
    if (typeof hp === 'string') throw new TypeError(`stack ${cfg.id}: listen ${cfg.listen}: ${hp}`)
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      accept(socket, {
        stack: id,
        localPort: socket.localPort ?? 0,
        source: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 }
      }, { address: socket.localAddress ?? '', port: socket.localPort ?? 0 })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: hp.host, port: hp.port }, () => { server.off('error', reject); resolve() })
    })
    const addr = server.address() as net.AddressInfo
    url = `tcp://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
    stopAccepting = async () => { await new Promise<void>(resolve => server.close(() => resolve())) }
  }
  log.info({ url, chain }, 'listening')
  let closed: Promise<void> | undefined
  return {
    get id () { return id },
    url,
    listen: cfg.listen,
    get active () { return open.size },
    use (nextId, name, next) { id = nextId; chain = name; set = next },
    async close (options = {}) {
      // A listener that stops accepting may still have connections flowing; only a full stop
      // (destroy) waits for them to be torn down.
      closed ??= stopAccepting()
      if (options.destroy !== true) return
      for (const s of open) s.destroy()
      await closed
    }
  }
}
