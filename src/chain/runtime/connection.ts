// One connection through one chain: probe → match → process. The action either finishes the
// connection (forward, HTTP actions, reject, drop) or, for tls_terminate, sends the decrypted
// stream into the next chain. Every failure ends in one place that logs the reason and closes:
// nothing thrown from here reaches the listener.
import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import type { Logger } from '../../core/logger.ts'
import type { CompiledRoute, ConnFacts, HttpRequestFacts } from '../types.ts'
import type { ChainSet, RunnableChain } from './chain-set.ts'
import type { AccessLog } from './access-log.ts'
import { probeConnection } from './probe.ts'
import { forwardConnection } from '../upstream/forward.ts'
import { terminateTls } from '../tls/terminate.ts'
import { runZone } from '../zone/zone.ts'
import { serveHttp } from '../http/proxy/engine.ts'
import { resetStream } from '../../tunnel/pipe.ts'
import type { UpstreamPool } from '../http/proxy/pool.ts'

/** tls_terminate → then → tls_terminate ... stops here. */
const MAX_DEPTH = 4

export interface ConnectionContext {
  chains: ChainSet
  logger: Logger
  access: AccessLog
  /** The address the client connected to, for PROXY headers sent upstream. */
  destination: { address: string, port: number }
  /** Aborted when the gateway stops. */
  signal: AbortSignal
  /** Idle upstream HTTP streams, shared by the gateway's connections. */
  pool: UpstreamPool
}

function close (stream: Duplex, how: 'end' | 'reset'): void {
  if (stream.destroyed) return
  if (how === 'reset') {
    resetStream(stream)
    return
  }
  // A polite close: FIN after anything still queued, then release.
  stream.end()
  stream.resume()
  setTimeout(() => stream.destroy(), 1000).unref()
}

function describeFacts (facts: ConnFacts): Record<string, unknown> {
  return {
    source: `${facts.source.address}:${facts.source.port}`,
    ...(facts.tls?.sni != null ? { sni: facts.tls.sni } : facts.terminated?.sni != null ? { sni: facts.terminated.sni } : {}),
    ...(facts.http != null ? { host: facts.http.host, method: facts.http.method, path: facts.http.path } : {}),
    ...(facts.peer != null ? { peer: facts.peer } : {})
  }
}

export async function runConnection (stream: Duplex, facts: ConnFacts, chainName: string, ctx: ConnectionContext, depth = 0): Promise<void> {
  const started = performance.now()
  stream.on('error', () => {}) // errors surface through the action's own handling
  const chain = ctx.chains.get(chainName)
  // Built only when logging is on: with access_log false nothing is allocated per connection.
  const entry = (extra: Record<string, unknown>): void => {
    if (!ctx.access.enabled) return
    ctx.access.write({
      stack: facts.stack, chain: chainName, ...describeFacts(facts), ms: Math.round(performance.now() - started), ...extra
    })
  }
  if (chain == null || depth >= MAX_DEPTH) {
    entry({ error: chain == null ? 'CHAIN_ERR_UNKNOWN_CHAIN' : 'CHAIN_ERR_TOO_DEEP' })
    close(stream, 'reset')
    return
  }
  const probed = await probeConnection({ stream, chain: chain.spec, facts, trusted: chain.trusted })
  if (!probed.ok) {
    entry({ error: probed.code, reason: probed.reason })
    close(stream, 'reset')
    return
  }
  const route = chain.table.lookup(facts)
  if (route == null) {
    entry({ error: 'CHAIN_ERR_NO_ROUTE', ...(probed.note != null ? { reason: probed.note } : {}) })
    close(stream, 'end')
    return
  }
  const p = route.spec.process
  switch (p.kind) {
    case 'forward': {
      if (facts.http != null && chainHasHttpActions(chain)) return await runHttp(stream, facts, chain, ctx)
      const rt = chain.runtime(route)
      const r = await forwardConnection(stream, rt.upstream!, { signal: ctx.signal, source: facts.source, destination: ctx.destination })
      entry({ route: route.spec.id, upstream: r.upstream, bytesIn: r.bytesIn, bytesOut: r.bytesOut, ...(r.error != null ? { error: r.error.code } : {}) })
      return
    }
    case 'tls_terminate': {
      const rt = chain.runtime(route)
      let tls: TLSSocket
      try {
        tls = await terminateTls(stream, { store: rt.certs!, alpn: p.alpn, handshakeTimeoutMs: p.handshakeTimeoutMs, signal: ctx.signal })
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'CHAIN_ERR_TLS'
        // A certificate not issued yet is the operator's business; a failed handshake is the client's.
        if (code === 'CHAIN_ERR_TLS_CERT_UNAVAILABLE') ctx.logger.warn({ err, chain: chainName, route: route.spec.id, ...describeFacts(facts) }, 'TLS client refused: no certificate yet')
        entry({ route: route.spec.id, error: code, reason: (err as Error).message })
        close(stream, 'reset')
        return
      }
      const inner: ConnFacts = {
        ...facts,
        terminated: {
          ...(typeof tls.servername === 'string' ? { sni: tls.servername.toLowerCase() } : facts.tls?.sni != null ? { sni: facts.tls.sni } : {}),
          ...(typeof tls.alpnProtocol === 'string' ? { alpn: tls.alpnProtocol } : {})
        }
      }
      delete inner.http
      delete inner.tls
      return await runConnection(tls, inner, p.then, ctx, depth + 1)
    }
    case 'zone': {
      const z = chain.runtime(route).zone!
      const r = await runZone(stream, facts, p.zone, { resolver: z.resolver, open: z.open, logger: ctx.logger.child({ mod: 'chain.zone' }), signal: ctx.signal, destination: ctx.destination })
      entry({ route: route.spec.id, zone: r.name, upstream: r.upstream, bytesIn: r.bytesIn, bytesOut: r.bytesOut, ...(r.error != null ? { error: r.error.code, reason: r.error.message } : {}) })
      return
    }
    case 'direct':
      // Only a SOCKS request names a target to connect to; the loader keeps direct to SOCKS chains.
      entry({ route: route.spec.id, error: 'CHAIN_ERR_NO_ROUTE', reason: 'direct applies to SOCKS requests only' })
      close(stream, 'reset')
      return
    case 'drop':
      entry({ route: route.spec.id, error: 'CHAIN_ERR_DROPPED' })
      close(stream, 'reset')
      return
    case 'reject':
      if (facts.http != null) return await runHttp(stream, facts, chain, ctx)
      entry({ route: route.spec.id, error: 'CHAIN_ERR_REJECTED' })
      close(stream, 'end')
      return
    default:
      return await runHttp(stream, facts, chain, ctx)
  }
}

function chainHasHttpActions (chain: RunnableChain): boolean {
  return chain.table.routes.some(r => r.spec.process.kind !== 'forward' && r.spec.process.kind !== 'tls_terminate' && r.spec.process.kind !== 'drop' && r.spec.process.kind !== 'zone')
}

/** HTTP mode: every request on the connection is routed through the chain on its own. */
async function runHttp (stream: Duplex, facts: ConnFacts, chain: RunnableChain, ctx: ConnectionContext): Promise<void> {
  const conn: ConnFacts = { ...facts }
  delete conn.http
  await serveHttp(stream, conn, {
    route: (req: HttpRequestFacts) => chain.table.lookup({ ...conn, http: req }),
    upstream: (route: CompiledRoute) => chain.runtime(route).upstream!,
    local: async (route, req, c) => await chain.runtime(route).local!(req, c),
    service: async (route, req, c) => await chain.runtime(route).service!(req, c),
    filterResponse: (route, head, req) => {
      if (route != null) chain.runtime(route).filter(head, req, conn)
      chain.filter(head, req, conn)
    },
    onRequestDone: (e) => ctx.access.write({ stack: conn.stack, chain: chain.spec.name, source: `${conn.source.address}:${conn.source.port}`, ...e }),
    logger: ctx.logger,
    pool: ctx.pool
  })
}
