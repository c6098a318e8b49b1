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
import { readFile } from 'node:fs/promises'
import { createSocksServer, type SocksServer } from '../socks/server.ts'
import { loadUsers } from '../socks/auth.ts'
import { decideSocks } from '../chain/runtime/socks-decide.ts'

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

/** A SOCKS5 stack: the engine asks the stack's current chain about each request. */
async function socksEngine (cfg: StackConfig, current: () => { id: string, chain: string, set: ChainSet }, deps: StackDeps, log: Logger): Promise<SocksServer> {
  const socks = cfg.socks!
  const users = new Map<string, string>()
  if (socks.usersFile != null) for (const [u, p] of loadUsers(await readFile(socks.usersFile, 'utf8'), socks.usersFile)) users.set(u, p)
  if (socks.usersEnv != null) {
    const text = process.env[socks.usersEnv]
    if (text == null) throw new TypeError(`stack ${cfg.id}: environment variable ${socks.usersEnv} (socks.users_env) is not set`)
    for (const [u, p] of loadUsers(text, `$${socks.usersEnv}`)) users.set(u, p)
  }
  return createSocksServer({
    decide (req) {
      const { id, chain, set } = current()
      const facts: ConnFacts = {
        stack: id,
        localPort: 0,
        source: req.source,
        socks: { command: req.command, host: req.target.host.toLowerCase(), port: req.target.port, ...(req.user != null ? { user: req.user } : {}) }
      }
      return decideSocks(set, chain, facts).decision
    },
    open: async (url, o) => await deps.registry.open(url, o),
    logger: log,
    onSessionDone: (e) => deps.access.write({ stack: current().id, chain: current().chain, ...e })
  }, {
    auth: { required: users.size > 0, users },
    handshakeTimeoutMs: socks.handshakeTimeoutMs,
    connectTimeoutMs: socks.connectTimeoutMs,
    maxSessionsPerClient: socks.maxSessionsPerClient,
    udpIdleTimeoutMs: socks.udpIdleTimeoutMs
  })
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
    const socksServer = cfg.socks != null ? await socksEngine(cfg, () => ({ id, chain, set }), deps, log) : undefined
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      if (socksServer != null) {
        open.add(socket)
        socket.once('close', () => open.delete(socket))
        void socksServer.handle(socket)
        return
      }
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
    stopAccepting = async () => {
      socksServer?.close()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
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
