// system-config store benchmark: one command, JSON lines on stdout.
//   node bench/sysconfig.ts [--count 2000] [--secs 5] [--concurrency 1] [--backends sqlite,etcd]
// For each backend (sqlite in a temp file; etcd: Debian's /usr/bin/etcd on loopback, started and
// stopped by PID via test/helpers/etcd.ts) it measures get, set and tx (compare-and-set of two
// keys, after a get: a read-modify-write) throughput, and watch latency: from just before a
// write call to the parked watch answering with it. Each op runs at most --count operations and at most --secs seconds.
// sqlite-rpc: the same operations through the RPC service over HTTP on loopback, each call
// carrying the owner's EdDSA JWT (checked on every call; the client reuses a token for its life).
// Lines: {bench:'sysconfig', backend, op, ops, ops_per_s, p50_ms, p99_ms, concurrency}.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { KvStore } from '../src/sysconfig/store/types.ts'
import { openSqliteStore } from '../src/sysconfig/store/sqlite.ts'
import { openEtcdStore } from '../src/sysconfig/store/etcd.ts'
import { startEtcd } from '../test/helpers/etcd.ts'
import http from 'node:http'
import { once } from 'node:events'
import { generateKeyPairSync } from 'node:crypto'
import pino from 'pino'
import { didFromPublicKey } from '../src/identity/did.ts'
import { cachedToken } from '../src/identity/jwt.ts'
import { createSysConfigHandler, createSysConfigAuth } from '../src/sysconfig/service/index.ts'
import { DEFAULT_RULES } from '../src/sysconfig/rules.ts'
import { createSysConfigClient } from '../src/sysconfig/client.ts'
import { fromClient, type DiscoverySource } from '../src/discovery/index.ts'

const { values: opt } = parseArgs({
  strict: false, // bench/run.ts passes every bench the same arguments
  options: {
    count: { type: 'string', default: '2000' },
    secs: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1' },
    backends: { type: 'string', default: 'sqlite,etcd,sqlite-rpc' }
  }
})
const COUNT = Number(opt.count); const SECS = Number(opt.secs); const CONC = Math.max(1, Number(opt.concurrency))
const BACKENDS = String(opt.backends).split(',')

function quantile (sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

function emit (backend: string, op: string, latencies: number[], elapsedMs: number, concurrency: number): void {
  const sorted = latencies.sort((a, b) => a - b)
  const round = (x: number): number => Math.round(x * 1000) / 1000
  process.stdout.write(JSON.stringify({
    bench: 'sysconfig', backend, op, ops: sorted.length, ops_per_s: Math.round(sorted.length / (elapsedMs / 1000)),
    p50_ms: round(quantile(sorted, 0.5)), p99_ms: round(quantile(sorted, 0.99)), concurrency
  }) + '\n')
}

/** Runs fn(i) for i < COUNT on CONC workers until COUNT or SECS is reached. */
async function measure (backend: string, op: string, fn: (i: number) => Promise<unknown>): Promise<void> {
  const latencies: number[] = []
  const end = Date.now() + SECS * 1000
  let next = 0
  const started = performance.now()
  await Promise.all(Array.from({ length: CONC }, async () => {
    while (next < COUNT && Date.now() < end) {
      const i = next++
      const t0 = performance.now()
      await fn(i)
      latencies.push(performance.now() - t0)
    }
  }))
  emit(backend, op, latencies, performance.now() - started, CONC)
}

/** Write → event latency: one parked watch at a time, one write per round. */
async function watchLatency (backend: string, store: Ops): Promise<void> {
  const latencies: number[] = []
  const end = Date.now() + SECS * 1000
  const rounds = Math.min(COUNT, 500)
  const started = performance.now()
  let from = await store.revision()
  for (let i = 0; i < rounds && Date.now() < end; i++) {
    const parked = store.watch('bench/watch/', from, { timeoutMs: 10_000 })
    // Let the watch park before the write (one macrotask; etcd needs its watcher created).
    await new Promise(resolve => setTimeout(resolve, backend === 'etcd' ? 5 : 0))
    const t0 = performance.now()
    await store.set('bench/watch/k', String(i))
    const got = await parked
    latencies.push(performance.now() - t0)
    from = got.revision
  }
  emit(backend, 'watch_latency', latencies, performance.now() - started, 1)
}

/** What the measurements use: a store, or the RPC client seen through the same shape. */
type Ops = Pick<DiscoverySource, 'get' | 'set' | 'tx' | 'watch' | 'revision'>

async function run (backend: string, store: Ops): Promise<void> {
  const value = 'v'.repeat(256)
  for (let i = 0; i < 100; i++) await store.set(`bench/get/${i}`, value)
  await measure(backend, 'get', async i => await store.get(`bench/get/${i % 100}`))
  await measure(backend, 'set', async i => await store.set(`bench/set/${i % 100}`, value))
  await measure(backend, 'tx', async i => {
    const key = `bench/tx/${i % 100}`
    const cur = await store.get(key)
    return await store.tx([{ op: 'set', key, value }, { op: 'append', key: `${key}/log`, value: 'x' }], { key, revision: cur?.revision ?? 0 })
  })
  await watchLatency(backend, store)
}

const dir = mkdtempSync(join(tmpdir(), 'zonegate-bench-sysconfig-'))
try {
  if (BACKENDS.includes('sqlite')) {
    const store = openSqliteStore({ file: join(dir, 'bench.db') })
    try { await run('sqlite', store) } finally { await store.close() }
  }
  if (BACKENDS.includes('etcd')) {
    if (!existsSync('/usr/bin/etcd')) {
      process.stderr.write('# etcd skipped: /usr/bin/etcd missing (Debian package etcd-server)\n')
    } else {
      const etcd = await startEtcd()
      try {
        const store = await openEtcdStore({ endpoints: [etcd.endpoint], prefix: 'bench/' })
        try { await run('etcd', store) } finally { await store.close() }
      } finally {
        await etcd.stop()
      }
    }
  }
  if (BACKENDS.includes('sqlite-rpc')) {
    const store = openSqliteStore({ file: join(dir, 'rpc.db') })
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const owner = { did: didFromPublicKey(new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'))), signingKey: privateKey }
    const auth = createSysConfigAuth({ zone: 'bench.test', owner: owner.did, devices: () => [], issuers: [], rules: DEFAULT_RULES })
    const server = http.createServer(createSysConfigHandler({ store, auth, logger: pino({ level: 'silent' }) }))
    server.keepAliveTimeout = 60_000
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/kapi/system_config`
    try {
      await run('sqlite-rpc', fromClient(createSysConfigClient({ url, token: cachedToken(owner, 'bench.test') })))
    } finally {
      server.closeAllConnections()
      server.close()
      await store.close()
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
