// SOCKS5 benchmark: one command, JSON lines on stdout.
//   node bench/socks.ts [--bytes 1073741824] [--limit 30] [--runs 3] [--rate-secs 4] [--rate-runs 3] [--conc 32] [--budget 15]
// zonegate's SOCKS5 engine (bench/socks/server-proc.ts: createSocksServer, every request direct
// through a tcp registry — the engine is not in the gateway config yet), microsocks and dante,
// with no proxy at all as the ceiling, in the same run:
// 1. throughput of one CONNECT session receiving --bytes from a loopback server (cut at --limit s),
//    median of --runs, runs interleaved across the paths;
// 2. short sessions per second (greeting, CONNECT, one byte from the target, close), --conc in
//    flight for --rate-secs, median of --rate-runs (interleaved), and the proxy's CPU per session
//    from /proc/<pid>/stat (bench/socks/cpu.ts says why not schedstat).
// Every peer is started here on 127.0.0.1 and stopped by PID at the end; a proxy whose Debian
// package is missing is skipped with the apt-get command that installs it.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, ROOT } from '../integration/harness/proc.ts'
import { bg, waitPort, missing, log, benchCommit, runBench } from './chain/procs.ts'
import { treeCpuNs as cpuNs } from './socks/cpu.ts'
import { median } from './chain/load.ts'
import { makeEmitter, ratio } from './chain/report.ts'
import { QuietRunner } from './chain/quiet.ts'
import { transfer, sessionRate, type Via } from './socks/load.ts'
import { startDanted, MICROSOCKS, DANTED } from './socks/peers.ts'

const { values: opt } = parseArgs({
  strict: false, // bench/run.ts passes every bench the same arguments
  options: {
    bytes: { type: 'string', default: String(1024 ** 3) },
    limit: { type: 'string', default: '30' },
    runs: { type: 'string', default: '3' },
    'rate-secs': { type: 'string', default: '4' },
    'rate-runs': { type: 'string', default: '3' },
    conc: { type: 'string', default: '32' },
    budget: { type: 'string', default: '15' },
    // Treat these proxies' packages as missing (microsocks,dante), to see the skip paths.
    without: { type: 'string', default: '' }
  }
})
const BYTES = Number(opt.bytes); const LIMIT = Number(opt.limit); const RUNS = Number(opt.runs)
const RATE_SECS = Number(opt['rate-secs']); const RATE_RUNS = Number(opt['rate-runs']); const CONC = Number(opt.conc)
// Waiting for a quiet machine and re-running disturbed measurements add at most this many seconds.
const runner = new QuietRunner(Number(opt.budget) * 1000)

const dir = mkdtempSync(join(tmpdir(), 'zonegate-socks-bench-'))
const commit = benchCommit()
const { emit, skip } = makeEmitter(commit)
/** A target as a JSON line: ratio = ours / baseline, met when at least `limit`. */
function target (name: string, value: number, limit: number): void {
  if (Number.isNaN(value)) { skip('socks-target', { target: name }, 'a side of the ratio is missing'); return }
  emit('socks-target', { target: name }, 'ratio', value, { limit, met: value >= limit })
}

interface Path { name: string, via: Via, pid?: number }

async function main (): Promise<void> {
  const without = String(opt.without).split(',')
  const bin = (name: string, path: string): string => without.includes(name) ? `/nonexistent/${name}` : path
  const need = {
    microsocks: missing([[bin('microsocks', MICROSOCKS), 'microsocks']]),
    dante: missing([[bin('dante', DANTED), 'dante-server']])
  }
  for (const [what, cmd] of Object.entries(need)) if (cmd != null) log(`${what} is missing; install it with: ${cmd}`)

  const t = { bulk: await freePort(), one: await freePort() }
  const tp = bg(process.execPath, [join(ROOT, 'bench/socks/targets.ts'), String(t.bulk), String(t.one), String(BYTES)])
  await waitPort(t.bulk); await waitPort(t.one)
  void tp

  const paths: Path[] = [{ name: 'direct', via: null }]
  const skipped = new Map<string, string>()
  const ours = await freePort()
  const op = bg(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/socks/server-proc.ts'), String(ours)])
  await waitPort(ours)
  paths.push({ name: 'zonegate', via: ours, pid: op.pid })
  if (need.microsocks == null) {
    const port = await freePort()
    const c = bg(MICROSOCKS, ['-i', '127.0.0.1', '-p', String(port)])
    await waitPort(port)
    paths.push({ name: 'microsocks', via: port, pid: c.pid })
  } else skipped.set('microsocks', `package missing: ${need.microsocks}`)
  if (need.dante == null) {
    const port = await freePort()
    const pid = startDanted(dir, port)
    await waitPort(port)
    paths.push({ name: 'dante', via: port, pid })
  } else skipped.set('dante', `package missing: ${need.dante}`)

  const errors = new Map<string, string>()
  // 1. throughput; runs interleave the paths so that a slow moment of the shared machine hits all.
  const gbps = new Map<string, number[]>(paths.map(p => [p.name, []]))
  const cpuPerGiB = new Map<string, number[]>(paths.map(p => [p.name, []]))
  const foreign = new Map<string, number>()
  const noteForeign = (k: string, pct: number): void => { foreign.set(k, Math.max(foreign.get(k) ?? 0, pct)) }
  let incomplete = 0
  for (let run = 0; run < RUNS; run++) {
    for (const p of paths) {
      if (errors.has(p.name)) continue
      try {
        const r = await runner.measure(async () => {
          const c0 = p.pid != null ? cpuNs(p.pid) : NaN
          const x = await transfer(p.via, t.bulk, BYTES, LIMIT)
          return { ...x, cpuNs: (p.pid != null ? cpuNs(p.pid) : NaN) - c0 }
        })
        if (!r.complete) incomplete++
        gbps.get(p.name)!.push(r.gbps)
        cpuPerGiB.get(p.name)!.push(r.cpuNs / 1e9 / (r.bytes / 1024 ** 3))
        noteForeign(p.name, r.foreignPct)
        log(`throughput ${p.name} run ${run + 1}: ${r.gbps.toFixed(2)} Gbit/s, ${(r.bytes / 1024 ** 2).toFixed(0)} MiB in ${r.secs.toFixed(2)} s${r.complete ? '' : ' (cut at the limit)'}, foreign CPU ${r.foreignPct}%`)
      } catch (err) { errors.set(p.name, (err as Error).message); log(`throughput ${p.name} failed: ${(err as Error).message}`) }
    }
  }
  // 2. short sessions per second and the proxy's CPU per session, runs interleaved like the transfers
  const rateRuns = new Map<string, Array<{ rate: number, sessions: number, errors: number, cpuUs: number }>>(paths.map(p => [p.name, []]))
  const rateErrors = new Map<string, string>()
  // Half a second of sessions first, not counted: the first run must not pay for the JIT warming up.
  for (const p of paths) if (!errors.has(p.name)) await sessionRate(p.via, t.one, 0.5, CONC)
  for (let run = 0; run < RATE_RUNS; run++) {
    for (const p of paths) {
      if (errors.has(p.name)) continue
      const r = await runner.measure(async () => {
        const c0 = p.pid != null ? cpuNs(p.pid) : NaN
        const x = await sessionRate(p.via, t.one, RATE_SECS, CONC)
        return { ...x, cpuNs: (p.pid != null ? cpuNs(p.pid) : NaN) - c0 }
      })
      noteForeign(`${p.name}/rate`, r.foreignPct)
      if (r.firstError != null) rateErrors.set(p.name, r.firstError)
      rateRuns.get(p.name)!.push({ rate: r.rate, sessions: r.sessions, errors: r.errors, cpuUs: r.cpuNs / 1000 / r.sessions })
      log(`sessions ${p.name} run ${run + 1}: ${r.rate.toFixed(0)}/s, proxy ${(r.cpuNs / 1000 / r.sessions).toFixed(1)} µs CPU/session, ${r.errors} errors${r.firstError != null ? ` (${r.firstError})` : ''}, foreign CPU ${r.foreignPct}%`)
    }
  }
  const rates = new Map<string, { rate: number, samples: number[], sessions: number, errors: number, cpuUs: number, firstError?: string }>()
  for (const [name, rs] of rateRuns) {
    if (rs.length === 0) continue
    const e = rateErrors.get(name)
    rates.set(name, {
      rate: median(rs.map(x => x.rate)),
      samples: rs.map(x => Number(x.rate.toFixed(0))),
      sessions: rs.reduce((a, x) => a + x.sessions, 0),
      errors: rs.reduce((a, x) => a + x.errors, 0),
      cpuUs: median(rs.map(x => x.cpuUs).filter(Number.isFinite)),
      ...(e != null ? { firstError: e } : {})
    })
  }

  const g = (n: string): number => median((gbps.get(n) ?? []).filter(Number.isFinite))
  for (const [name, why] of skipped) { skip('socks-throughput', { path: name }, why); skip('socks-sessions', { path: name }, why) }
  for (const p of paths) {
    if (errors.has(p.name) || Number.isNaN(g(p.name))) { skip('socks-throughput', { path: p.name }, `path failed: ${errors.get(p.name) ?? 'no bytes came through'}`); continue }
    const r = (base: string): number => ratio(g(p.name), g(base))
    emit('socks-throughput', { path: p.name, bytes: BYTES, limit_secs: LIMIT, runs: RUNS }, 'Gbit/s', g(p.name), {
      samples: gbps.get(p.name)!.map(x => Number(x.toFixed(3))),
      ...(p.pid != null ? { proxy_cpu_s_per_gib: Number(median(cpuPerGiB.get(p.name)!).toFixed(3)) } : {}),
      foreign_cpu_pct: foreign.get(p.name),
      ratio_to_direct: r('direct'), ratio_to_microsocks: r('microsocks'), ratio_to_dante: r('dante')
    })
    const h = rates.get(p.name)
    if (h == null) continue
    const hr = (base: string): number => ratio(h.rate, rates.get(base)?.rate ?? NaN)
    emit('socks-sessions', { path: p.name, concurrency: CONC, secs: RATE_SECS, runs: RATE_RUNS }, 'sessions/s', h.rate, {
      samples: h.samples, sessions: h.sessions, errors: h.errors, ...(h.firstError != null ? { first_error: h.firstError } : {}),
      foreign_cpu_pct: foreign.get(`${p.name}/rate`),
      ratio_to_direct: hr('direct'), ratio_to_microsocks: hr('microsocks'), ratio_to_dante: hr('dante')
    })
    if (p.pid != null) {
      const cr = (base: string): number => ratio(h.cpuUs, rates.get(base)?.cpuUs ?? NaN)
      emit('socks-proxy-cpu-per-session', { path: p.name }, 'us', h.cpuUs, { ratio_to_microsocks: cr('microsocks'), ratio_to_dante: cr('dante') })
    }
  }
  await throughGateway(t.bulk)
  if (incomplete > 0) log(`${incomplete} transfer(s) hit the ${LIMIT} s limit: their rate is of the bytes that came`)
  if (!errors.has('zonegate')) {
    target('throughput >= 1 x microsocks', ratio(g('zonegate'), g('microsocks')), 1)
    target('sessions/s >= 0.8 x dante', ratio(rates.get('zonegate')?.rate ?? NaN, rates.get('dante')?.rate ?? NaN), 0.8)
  }
}

/**
 * The real gateway's SOCKS stack: one stack whose chain connects directly, one whose chain sends
 * every request over rtcp to a second gateway ("home") on this machine, which connects to the same
 * target on its loopback. The ratio is the cost of the tunnel behind the SOCKS stack.
 */
async function throughGateway (bulkPort: number): Promise<void> {
  const zg = join(ROOT, 'src/bin/zonegate.ts')
  const node = (args: string[]): ReturnType<typeof bg> => bg(process.execPath, ['--disable-warning=ExperimentalWarning', zg, ...args])
  const keygen = (name: string): string => {
    const out = execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', zg, 'keygen', '--out', join(dir, `${name}.pem`)]).toString()
    return /did:dev:[A-Za-z0-9_-]+/.exec(out)![0]
  }
  const homeDid = keygen('home'); const gwDid = keygen('gw')
  const rtcpPort = await freePort(); const direct = await freePort(); const tunnel = await freePort()
  const write = (name: string, doc: string): string => { const f = join(dir, `${name}.yaml`); writeFileSync(f, doc); return f }
  const home = node(['gateway', '-c', write('home', `role: gateway\ndevice: { key: ./home.pem }\nrtcp: { listen: ["127.0.0.1:${rtcpPort}"], trust: { devices: ["${gwDid}"] } }\nlog: { level: warn }\n`)])
  await waitPort(rtcpPort)
  const gw = node(['gateway', '-c', write('gw', `role: gateway
device: { key: ./gw.pem }
rtcp: { trust: { devices: [home] }, peers: { home: { did: "${homeDid}", addrs: ["127.0.0.1:${rtcpPort}"], keep: true } } }
stacks:
  - { id: direct, listen: "127.0.0.1:${direct}", chain: direct, socks: {} }
  - { id: tunnel, listen: "127.0.0.1:${tunnel}", chain: tunnel, socks: {} }
chains:
  direct: { routes: [{ process: { direct: true } }] }
  tunnel: { routes: [{ process: { forward: "rtcp://home/" } }] }
access_log: false
log: { level: warn }
`)])
  await waitPort(direct); await waitPort(tunnel)
  void home
  const runs: Record<string, number[]> = { 'gateway-direct': [], 'gateway-rtcp': [] }
  for (let run = 0; run < RUNS; run++) {
    for (const [name, via] of [['gateway-direct', direct], ['gateway-rtcp', tunnel]] as const) {
      try {
        const r = await runner.measure(async () => await transfer(via, bulkPort, BYTES, LIMIT))
        runs[name].push(r.gbps)
        log(`throughput ${name} run ${run + 1}: ${r.gbps.toFixed(2)} Gbit/s${r.complete ? '' : ' (cut at the limit)'}, foreign CPU ${r.foreignPct}%`)
      } catch (err) { log(`throughput ${name} failed: ${(err as Error).message}`) }
    }
  }
  const d = median(runs['gateway-direct']); const r = median(runs['gateway-rtcp'])
  emit('socks-gateway-throughput', { path: 'gateway-direct', bytes: BYTES, runs: RUNS }, 'Gbit/s', d, { samples: runs['gateway-direct'].map(x => Number(x.toFixed(3))) })
  emit('socks-gateway-throughput', { path: 'gateway-rtcp', bytes: BYTES, runs: RUNS }, 'Gbit/s', r, { samples: runs['gateway-rtcp'].map(x => Number(x.toFixed(3))), ratio_to_gateway_direct: ratio(r, d) })
  void gw
}

// Whatever goes wrong, every process this benchmark started is stopped before it exits.
await runBench(main, dir)
