// DNS benchmark: one command, JSON lines on stdout.
//   node bench/dns.ts [--names 1000] [--secs 10] [--clients 4] [--cap 100000] [--runs 1] [--transports udp] [--bind-threads 1]
// zonegate's authoritative server (src/sn/dns, in its own process: this file with --serve) and
// Debian's bind9 (`named -g`, test/helpers/bind9.ts), each answering the same zone of --names
// names (A for every name, AAAA for one in four, TXT for one in ten; queries: 80% existing A/AAAA/
// TXT, 10% NODATA, 10% NXDOMAIN) on a loopback high port, driven in turn by dnsperf
// (-l secs -c clients -Q cap), after a one-second warm-up each. bind gets --bind-threads worker
// threads (default 1: Node answers on one thread). Every process started here is stopped by PID.
import { spawnSync, execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify, parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import type { DnsAuthority, DnsRecord } from '../src/sn/dns/types.ts'
import { bg, waitPort, missing, log, benchCommit, runBench, cleanups } from './chain/procs.ts'
import { makeEmitter, ratio } from './chain/report.ts'
import { median } from './chain/load.ts'
import { startBind9, zoneText, freeDnsPort, NAMED } from '../test/helpers/bind9.ts'

const pexec = promisify(execFile)
const APEX = 'bench.test'
const DNSPERF = '/usr/bin/dnsperf'

const { values: opt } = parseArgs({
  strict: false, // bench/run.ts passes every bench the same arguments
  options: {
    names: { type: 'string', default: '1000' },
    secs: { type: 'string', default: '10' },
    clients: { type: 'string', default: '4' },
    cap: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '1' },
    transports: { type: 'string', default: 'udp' },
    'bind-threads': { type: 'string', default: '1' },
    // Internal: run only our server on this port (the bench starts itself with it).
    serve: { type: 'string' },
    'no-cache': { type: 'boolean', default: false }
  }
})
const NAMES = Number(opt.names); const SECS = Number(opt.secs); const CLIENTS = Number(opt.clients)
const CAP = Number(opt.cap); const RUNS = Number(opt.runs); const BIND_THREADS = Number(opt['bind-threads'])
const TRANSPORTS = String(opt.transports).split(',').filter(x => x === 'udp' || x === 'tcp')

/** The zone both servers answer from. */
function makeZone (n: number): Map<string, DnsRecord[]> {
  const zone = new Map<string, DnsRecord[]>()
  zone.set(APEX, [
    { type: 'SOA', primary: `ns1.${APEX}`, admin: `hostmaster.${APEX}`, serial: 1, refresh: 3600, retry: 600, expiration: 86400, minimum: 60, ttl: 3600 },
    { type: 'NS', ns: `ns1.${APEX}`, ttl: 3600 }
  ])
  zone.set(`ns1.${APEX}`, [{ type: 'A', address: '10.0.0.1', ttl: 3600 }])
  for (let i = 0; i < n; i++) {
    const recs: DnsRecord[] = [{ type: 'A', address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, ttl: 300 }]
    if (i % 4 === 0) recs.push({ type: 'AAAA', address: `2001:db8::${i.toString(16)}`, ttl: 300 })
    if (i % 10 === 0) recs.push({ type: 'TXT', data: [`v=host${i}`], ttl: 300 })
    zone.set(`h${i}.${APEX}`, recs)
  }
  return zone
}

/** dnsperf's query file: "name type" per line, a fixed shuffle of the mix described at the top. */
function queryFile (n: number): string {
  const lines: string[] = []
  let seed = 42
  const rnd = (k: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % k }
  for (let i = 0; i < n * 10; i++) {
    const h = rnd(n); const kind = rnd(10)
    if (kind < 6) lines.push(`h${h}.${APEX} A`)
    else if (kind === 6) lines.push(`h${h - (h % 4)}.${APEX} AAAA`)
    else if (kind === 7) lines.push(`h${h - (h % 10)}.${APEX} TXT`)
    else if (kind === 8) lines.push(`h${h}.${APEX} MX`)
    else lines.push(`nx${h}.${APEX} A`)
  }
  return lines.join('\n') + '\n'
}

async function serve (port: number, cache: boolean): Promise<void> {
  const { startDnsServer } = await import('../src/sn/dns/server.ts')
  const { silentLogger } = await import('../src/core/logger.ts')
  const zone = makeZone(NAMES)
  // Names with something below them, precomputed: hasDescendants is on every negative answer's path.
  const parents = new Set<string>()
  for (const name of zone.keys()) for (let d = name.indexOf('.'); d >= 0; d = name.indexOf('.', d + 1)) parents.add(name.slice(d + 1))
  // The zone never changes during the run: with a version, replies are kept by query (as the
  // SN's registry serial allows); without one, every query is decoded, looked up and encoded.
  const authority: DnsAuthority = { apexes: () => [APEX], records: n => zone.get(n), hasDescendants: n => parents.has(n), ...(cache ? { version: () => 1 } : {}) }
  const server = await startDnsServer({ authority, udp: [`127.0.0.1:${port}`], tcp: [`127.0.0.1:${port}`], logger: silentLogger() })
  process.on('SIGTERM', () => { void server.close().then(() => process.exit(0)) })
}

interface Perf { qps: number, completed: number, lost: number, avgMs: number }

async function dnsperf (port: number, file: string, transport: string, secs: number): Promise<Perf> {
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(secs), '-c', String(CLIENTS), '-Q', String(CAP), '-m', transport]
  const { stdout } = await pexec(DNSPERF, args, { timeout: (secs + 30) * 1000, maxBuffer: 16 * 1024 * 1024 })
  const num = (re: RegExp): number => { const m = re.exec(stdout); return m == null ? NaN : Number(m[1]) }
  const r = { qps: num(/Queries per second:\s+([\d.]+)/), completed: num(/Queries completed:\s+(\d+)/), lost: num(/Queries lost:\s+(\d+)/), avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000 }
  if (Number.isNaN(r.qps)) throw new Error(`dnsperf printed no rate:\n${stdout.slice(-1500)}`)
  return r
}

async function main (): Promise<void> {
  const commit = benchCommit()
  const { emit, skip } = makeEmitter(commit)
  const params = { names: NAMES, secs: SECS, clients: CLIENTS, cap: CAP, runs: RUNS }
  const needPerf = missing([[DNSPERF, 'dnsperf']])
  if (needPerf != null) { for (const s of ['zonegate', 'bind9']) skip('dns', { server: s }, `dnsperf is missing; install it with: ${needPerf}`); return }
  const dir = scratch
  const zone = makeZone(NAMES)
  const qfile = join(dir, 'queries.txt')
  writeFileSync(qfile, queryFile(NAMES))

  const servers: Array<{ name: 'zonegate' | 'zonegate-nocache' | 'bind9', port: number }> = []
  for (const name of ['zonegate', 'zonegate-nocache'] as const) {
    const ours = await freeDnsPort()
    bg(process.execPath, ['--disable-warning=ExperimentalWarning', fileURLToPath(import.meta.url), '--serve', String(ours), '--names', String(NAMES), ...(name === 'zonegate-nocache' ? ['--no-cache'] : [])])
    await waitPort(ours)
    servers.push({ name, port: ours })
  }
  const needBind = missing([[NAMED, 'bind9']])
  if (needBind == null) {
    const port = await freeDnsPort()
    const b = await startBind9({ dir, port, zones: [{ apex: APEX, text: zoneText(APEX, zone) }], threads: BIND_THREADS })
    cleanups.push(async () => await b.stop())
    servers.push({ name: 'bind9', port })
  } else skip('dns', { server: 'bind9' }, `bind9 is missing; install it with: ${needBind}`)

  // Same answers from both, checked once with dig before measuring anything.
  for (const s of servers) {
    const { stdout } = await pexec('dig', ['@127.0.0.1', '-p', String(s.port), `h7.${APEX}`, 'A', '+short', '+norecurse'])
    if (stdout.trim() !== '10.0.0.7') throw new Error(`${s.name} answered ${JSON.stringify(stdout)} for h7.${APEX}`)
  }

  for (const transport of TRANSPORTS) {
    const results = new Map<string, Perf[]>(servers.map(s => [s.name, []]))
    for (const s of servers) await dnsperf(s.port, qfile, transport, 1) // warm-up, not counted
    for (let run = 0; run < RUNS; run++) {
      for (const s of servers) {
        const r = await dnsperf(s.port, qfile, transport, SECS)
        results.get(s.name)!.push(r)
        log(`${s.name} ${transport} run ${run + 1}: ${r.qps.toFixed(0)} q/s, ${r.lost} lost, avg ${r.avgMs.toFixed(3)} ms`)
      }
    }
    const qps = (name: string): number => median((results.get(name) ?? []).map(r => r.qps))
    for (const s of servers) {
      const rs = results.get(s.name)!
      emit('dns', { ...params, server: s.name, transport, ...(s.name === 'bind9' ? { bind_threads: BIND_THREADS } : {}) }, 'qps', qps(s.name), {
        server: s.name,
        transport,
        qps: Number(qps(s.name).toFixed(1)),
        avg_ms: Number(median(rs.map(r => r.avgMs)).toFixed(3)),
        lost: rs.reduce((a, r) => a + r.lost, 0),
        completed: rs.reduce((a, r) => a + r.completed, 0),
        samples: rs.map(r => Number(r.qps.toFixed(0)))
      })
    }
    emit('dns-ratio', { ...params, transport, bind_threads: BIND_THREADS }, 'ratio', ratio(qps('zonegate'), qps('bind9')), {
      transport, ratio_zonegate_to_bind9: ratio(qps('zonegate'), qps('bind9')), ratio_without_reply_cache: ratio(qps('zonegate-nocache'), qps('bind9'))
    })
  }
}

let scratch = ''
if (opt.serve != null) {
  await serve(Number(opt.serve), opt['no-cache'] !== true)
} else {
  scratch = mkdtempSync(join(tmpdir(), 'zonegate-dns-bench-'))
  // bench/run.ts runs benches in turn; a missing `dig` means no checked answers, so say so early.
  if (spawnSync('dig', ['-v']).error != null) log('dig is missing; install it with: apt-get install -y dnsutils')
  await runBench(main, scratch)
}
