// Test rig for the HTTP engine: a tcp:// connector with pooling, route builders and an engine
// running on a loopback net server.
import net from 'node:net'
import { once } from 'node:events'
import type { Duplex } from 'node:stream'
import type { CompiledRoute, ConnFacts, HttpProxySpec, LocalResponse, ProcessSpec, UpstreamConnector, UpstreamConnection } from '../../../../../src/chain/types.ts'
import type { ResponseHead } from '../../../../../src/chain/http/types.ts'
import { serveHttp, type HttpEngineDeps, type HttpEngineLimits, type RequestLogEntry } from '../../../../../src/chain/http/proxy/engine.ts'
import { createUpstreamPool, type UpstreamPool } from '../../../../../src/chain/http/proxy/pool.ts'
import { readerFor } from '../../../../../src/chain/http/proxy/stream-reader.ts'
import { silentLogger } from '../../../../../src/core/logger.ts'

interface Teardown { teardown: (fn: () => void | Promise<void>) => void }

export interface ConnectorStats { opened: number, reused: number, reports: Array<{ ok: boolean, firstByteMs?: number }>, streams: net.Socket[] }

/** Connects to tcp://host:port, offering the pool first (as the real group connector does). */
export function tcpConnector (url: string, stats: ConnectorStats = { opened: 0, reused: 0, reports: [], streams: [] }): UpstreamConnector & { stats: ConnectorStats } {
  const u = new URL(url)
  return {
    stats,
    async connect (options) {
      const pooled = options.reuse?.(url)
      const report = (o: { ok: boolean, firstByteMs?: number }): void => { stats.reports.push(o) }
      if (pooled !== undefined) {
        stats.reused++
        return { stream: pooled, url, reused: true, report } satisfies UpstreamConnection
      }
      const s = net.connect(Number(u.port), u.hostname)
      s.setNoDelay(true)
      await new Promise<void>((resolve, reject) => {
        s.once('connect', resolve)
        s.once('error', reject)
      })
      stats.opened++
      stats.streams.push(s)
      return { stream: s as Duplex, url, reused: false, report } satisfies UpstreamConnection
    }
  }
}

export function proxySpec (url: string, extra: Partial<HttpProxySpec> = {}): HttpProxySpec {
  return {
    upstreams: [{ url, weight: 1 }],
    balance: 'round_robin',
    connectTimeoutMs: 2000,
    tries: 1,
    health: { failures: 3, cooldownMs: 1000 },
    rewrite: {},
    setRequestHeaders: {},
    removeRequestHeaders: [],
    xForwarded: true,
    preserveHost: true,
    idleTimeoutMs: 5000,
    responseTimeoutMs: 5000,
    ...extra
  }
}

export function route (id: string, process: ProcessSpec, filters: Array<(h: ResponseHead) => void> = []): CompiledRoute & { filters: typeof filters } {
  return {
    chain: 'c',
    index: 0,
    spec: { id, match: {}, process, postRespFilter: [] },
    matches: () => true,
    filters
  }
}

export interface Rig {
  port: number
  logs: RequestLogEntry[]
  pool: UpstreamPool
  connectors: Map<string, ReturnType<typeof tcpConnector>>
  done: Promise<void>[]
  /** Client connections the engine accepted so far. */
  clientConnections: () => number
  /** Bytes the engine holds right now: reader queues and unsent socket buffers, both sides. */
  heldBytes: () => number
}

export interface RigOptions {
  /** Route by host (the '*' entry catches the rest). */
  routes: Record<string, ReturnType<typeof route>>
  local?: (r: CompiledRoute) => Promise<LocalResponse>
  limits?: Partial<HttpEngineLimits>
}

/** The engine on a loopback net server; torn down with the test. */
export async function startEngine (t: Teardown, options: RigOptions): Promise<Rig> {
  const pool = createUpstreamPool()
  const connectors = new Map<string, ReturnType<typeof tcpConnector>>()
  const logs: RequestLogEntry[] = []
  const done: Promise<void>[] = []
  const deps: HttpEngineDeps = {
    route: req => options.routes[req.host ?? ''] ?? options.routes['*'],
    upstream: r => {
      const p = r.spec.process
      const url = p.kind === 'http_proxy' ? p.proxy.upstreams[0].url : p.kind === 'forward' ? p.group.upstreams[0].url : ''
      let c = connectors.get(url)
      if (c === undefined) { c = tcpConnector(url); connectors.set(url, c) }
      return c
    },
    local: async (r) => {
      if (options.local !== undefined) return await options.local(r)
      const p = r.spec.process
      if (p.kind === 'respond') return { status: p.status, headers: Object.entries(p.headers), body: Buffer.from(p.body) }
      if (p.kind === 'reject') return { status: p.status, headers: [] }
      return { status: 500, headers: [] }
    },
    filterResponse: (r, head) => { for (const f of (r as ReturnType<typeof route> | undefined)?.filters ?? []) f(head) },
    onRequestDone: e => { logs.push(e) },
    logger: silentLogger(),
    pool
  }
  const sockets = new Set<net.Socket>()
  let accepted = 0
  const srv = net.createServer(s => {
    accepted++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.setNoDelay(true)
    const conn: ConnFacts = { stack: 's', localPort: s.localPort ?? 0, source: { address: s.remoteAddress ?? '', port: s.remotePort ?? 0 } }
    done.push(serveHttp(s, conn, deps, options.limits))
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    pool.close()
    srv.close()
  })
  const held = (s: net.Socket): number => s.destroyed ? 0 : s.writableLength + s.readableLength + readerFor(s).buffered
  const heldBytes = (): number => {
    let n = 0
    for (const s of sockets) n += held(s)
    for (const c of connectors.values()) for (const s of c.stats.streams) n += held(s)
    return n
  }
  return { port: (srv.address() as net.AddressInfo).port, logs, pool, connectors, done, clientConnections: () => accepted, heldBytes }
}

/** Raw client: write bytes, collect everything until the server closes (or `until` holds). */
export async function rawExchange (port: number, bytes: Buffer | string, until?: (got: string) => boolean): Promise<string> {
  const s = net.connect(port, '127.0.0.1')
  await once(s, 'connect')
  s.write(bytes)
  let got = ''
  return await new Promise((resolve, reject) => {
    s.on('data', d => {
      got += d.toString('latin1')
      if (until?.(got) === true) { s.destroy(); resolve(got) }
    })
    s.on('end', () => { s.destroy(); resolve(got) })
    s.on('close', () => resolve(got))
    s.on('error', reject)
  })
}

/** Count complete HTTP responses heads in a raw transcript. */
export function countHeads (s: string): number {
  return s.split(/HTTP\/1\.[01] \d{3}/).length - 1
}
