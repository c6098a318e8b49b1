// A chain behind a real loopback listener, as the gateway runs it: every accepted socket goes
// through runConnection with a compiled ChainSet. Access entries and log lines are captured so
// tests can assert the coded reason of a failure.
import net from 'node:net'
import { once } from 'node:events'
import { pino, type Logger } from 'pino'
import { Writable } from 'node:stream'
import type { ChainSpec, ConnFacts, ProcessSpec, RouteSpec } from '../../../../src/chain/types.ts'
import { compileChainSet, type ChainDeps } from '../../../../src/chain/runtime/chain-set.ts'
import { runConnection } from '../../../../src/chain/runtime/connection.ts'
import type { AccessEntry } from '../../../../src/chain/runtime/access-log.ts'
import { createUpstreamPool } from '../../../../src/chain/http/proxy/pool.ts'

export interface Harness {
  port: number
  entries: AccessEntry[]
  logs: Array<Record<string, unknown>>
  /** Resolves with the next access entry (or one already written after `from`). */
  entry (from?: number): Promise<AccessEntry>
  close (): Promise<void>
}

export function chain (name: string, routes: Array<Partial<RouteSpec> & { process: ProcessSpec }>, extra: Partial<ChainSpec> = {}): ChainSpec {
  return {
    name,
    probe: ['tls', 'http'],
    probeMaxBytes: 64 * 1024,
    probeTimeoutMs: 2000,
    trustedProxies: [],
    routes: routes.map((r, i) => ({ id: String(i), match: {}, postRespFilter: [], ...r })),
    postRespFilter: [],
    ...extra
  }
}

/** A logger whose lines land in `logs` (parsed), for asserting warnings. */
export function capturingLogger (logs: Array<Record<string, unknown>>): Logger {
  const sink = new Writable({
    write (chunk: Buffer, _e, cb) {
      for (const line of chunk.toString().split('\n')) if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      cb()
    }
  })
  return pino({ level: 'debug' }, sink)
}

export async function startChains (specs: ChainSpec[], entry: string, deps: Omit<ChainDeps, 'logger'>): Promise<Harness> {
  const logs: Array<Record<string, unknown>> = []
  const logger = capturingLogger(logs)
  const chains = await compileChainSet(specs, { ...deps, logger })
  const entries: AccessEntry[] = []
  const waiters: Array<() => void> = []
  const stop = new AbortController()
  const pool = createUpstreamPool()
  const ctx = {
    chains,
    logger,
    access: { enabled: true, write: (e: AccessEntry) => { entries.push(e); for (const w of waiters.splice(0)) w() }, async close () {} },
    destination: { address: '127.0.0.1', port: 0 },
    signal: stop.signal,
    pool
  }
  const sockets = new Set<net.Socket>()
  const srv = net.createServer({ allowHalfOpen: true }, socket => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    const facts: ConnFacts = { stack: 's', localPort: socket.localPort ?? 0, source: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 } }
    void runConnection(socket, facts, entry, { ...ctx, destination: { address: socket.localAddress ?? '127.0.0.1', port: socket.localPort ?? 0 } })
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  return {
    port: (srv.address() as net.AddressInfo).port,
    entries,
    logs,
    async entry (from = 0) {
      const deadline = Date.now() + 5000
      while (entries.length <= from) {
        if (Date.now() > deadline) throw new Error('no access entry within 5 s')
        await new Promise<void>(resolve => { waiters.push(resolve); setTimeout(resolve, 100).unref() })
      }
      return entries[from]
    },
    async close () {
      stop.abort()
      for (const s of sockets) s.destroy()
      pool.close()
      await new Promise<void>(resolve => srv.close(() => resolve()))
    }
  }
}
