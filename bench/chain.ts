// Processing chain benchmark: one command, JSON lines on stdout.
//   node bench/chain.ts [--secs 3] [--runs 3] [--pings 2000] [--hs-secs 3] [--wrk-secs 4] [--wrk-runs 2] [--conns 64] [--budget 45]
// 1. SNI passthrough (route on the ClientHello's server name, do not terminate), through
//      zonegate   chain `sni`: probe tls → match sni → forward
//      haproxy    mode tcp + req.ssl_sni            nginx   stream + ssl_preread
//      node-fwd   a plain node:net forwarder (no SNI; the baseline)    direct   no hop
//    single-connection throughput, added round trip on an established connection, new TLS
//    connections per second and the router's CPU per connection.
// 2. HTTP routing by Host, 64 keep-alive connections, 1 KiB responses (wrk), with TLS terminated
//    by the router and without: zonegate (tls_terminate → http_proxy), nginx, a node:http(s) proxy.
// Every peer is started here on 127.0.0.1 and stopped by PID at the end; a peer whose Debian
// package is missing is skipped with the apt-get command that installs it.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, ROOT } from '../integration/harness/proc.ts'
import { bg, waitPort, cpuNs, missing, log, benchCommit, runBench } from './chain/procs.ts'
import { nginxBackend, nginxSni, haproxySni, nginxHttp, NGINX_STREAM_MODULE, type SniRoutes } from './chain/peer-configs.ts'
import { captureClientHello, bulkGbps, pingPong, tlsRate, wrk, median, pct } from './chain/load.ts'
import { startZonegate, type ZonegateUp } from './chain/zonegate.ts'
import { makeEmitter, ratio } from './chain/report.ts'
import { QuietRunner } from './chain/quiet.ts'

const { values: opt } = parseArgs({
  strict: false, // bench/run.ts passes every bench the same arguments (rtcp's --tunnels too)
  options: {
    secs: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    pings: { type: 'string', default: '2000' },
    'hs-secs': { type: 'string', default: '3' },
    'hs-conc': { type: 'string', default: '16' },
    'wrk-secs': { type: 'string', default: '4' },
    'wrk-runs': { type: 'string', default: '2' },
    conns: { type: 'string', default: '64' },
    budget: { type: 'string', default: '45' },
    // Treat these peers' packages as missing (haproxy,nginx,wrk), to see the skip paths.
    without: { type: 'string', default: '' }
  }
})
const SECS = Number(opt.secs); const RUNS = Number(opt.runs); const PINGS = Number(opt.pings)
const HS_SECS = Number(opt['hs-secs']); const HS_CONC = Number(opt['hs-conc'])
const WRK_SECS = Number(opt['wrk-secs']); const WRK_RUNS = Number(opt['wrk-runs']); const CONNS = Number(opt.conns)
// Waiting for a quiet machine and re-running disturbed measurements add at most this many seconds.
const runner = new QuietRunner(Number(opt.budget) * 1000)
const PING_BYTES = 64
// Names: the bulk/echo upstream and the handshake upstream are two SNI routes; wrk sends the URL's
// host as SNI, so TLS HTTP runs use https://localhost (which /etc/hosts maps to 127.0.0.1) and
// route on the Host header bench.test like the plain ones.
const ROUTES_NAMES = { bulk: 'bench.test', hs: 'hs.bench.test' }
const HOST = 'bench.test'
const WRK_SNI = 'localhost'

const dir = mkdtempSync(join(tmpdir(), 'zonegate-chain-bench-'))
chmodSync(dir, 0o755) // nginx workers run as nobody and read the 1 KiB file from here
const commit = benchCommit()
const { emit, skip } = makeEmitter(commit)
/** A spec target as a JSON line: ratio = ours / baseline, met when on the right side of limit. */
function target (name: string, value: number, limit: number, atMost: boolean): void {
  if (Number.isNaN(value)) { skip('chain-target', { target: name }, 'a side of the ratio is missing'); return }
  emit('chain-target', { target: name }, 'ratio', value, { limit, met: atMost ? value <= limit : value >= limit })
}

interface SniPath { name: string, bulk: number, hs: number, pid?: number }
interface HttpPath { name: string, tls: boolean, url: string, pid?: number }

async function started (c: ReturnType<typeof bg>, ...ports: number[]): Promise<number> {
  for (const p of ports) await waitPort(p)
  return c.pid!
}

async function main (): Promise<void> {
  const without = String(opt.without).split(',')
  const bin = (name: string, path: string): string => without.includes(name) ? `/nonexistent/${name}` : path
  const need = {
    haproxy: missing([[bin('haproxy', '/usr/sbin/haproxy'), 'haproxy']]),
    nginx: missing([[bin('nginx', '/usr/sbin/nginx'), 'nginx']]),
    nginxStream: missing([[bin('nginx', '/usr/sbin/nginx'), 'nginx'], [NGINX_STREAM_MODULE, 'libnginx-mod-stream']]),
    wrk: missing([[bin('wrk', '/usr/bin/wrk'), 'wrk']]),
    openssl: missing([['/usr/bin/openssl', 'openssl']])
  }
  const label: Record<string, string> = { nginxStream: 'nginx stream module' }
  for (const [what, cmd] of Object.entries(need)) if (cmd != null) log(`${label[what] ?? what} is missing; install it with: ${cmd}`)
  if (need.openssl != null) throw new Error(`openssl makes the test certificate; install it with: ${need.openssl}`)

  // certificate for every name used, and the 1 KiB body
  const cert = join(dir, 'cert.pem'); const key = join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${HOST}`,
    '-addext', `subjectAltName=DNS:${ROUTES_NAMES.bulk},DNS:${ROUTES_NAMES.hs},DNS:${WRK_SNI}`, '-keyout', key, '-out', cert], { stdio: 'ignore' })
  mkdirSync(join(dir, 'www')); chmodSync(join(dir, 'www'), 0o755)
  writeFileSync(join(dir, 'www', '1k.bin'), Buffer.alloc(1024, 0x61), { mode: 0o644 })

  // upstreams: bulk/echo after a ClientHello (node), TLS handshakes and HTTP 1 KiB (nginx, else node)
  const helloPort = await freePort()
  await started(bg(process.execPath, [join(ROOT, 'bench/chain/hello-upstream.ts'), String(helloPort)]), helloPort)
  const be = { http: await freePort(), tls: await freePort() }
  const backendKind = need.nginx == null ? 'nginx' : 'node'
  if (need.nginx == null) {
    writeFileSync(join(dir, 'nginx-backend.conf'), nginxBackend(dir, be, cert, key))
    await started(bg('nginx', ['-e', join(dir, 'nginx-backend.err'), '-p', `${dir}/`, '-c', join(dir, 'nginx-backend.conf')]), be.http, be.tls)
  } else {
    await started(bg(process.execPath, [join(ROOT, 'bench/chain/node-upstreams.ts'), String(be.http), String(be.tls), cert, key]), be.http, be.tls)
  }
  const routes: SniRoutes = { ...ROUTES_NAMES, bulkPort: helloPort, hsPort: be.tls }

  // SNI routers
  const sni: SniPath[] = [{ name: 'direct', bulk: helloPort, hs: be.tls }]
  const fwd = { bulk: await freePort(), hs: await freePort() }
  await started(bg(process.execPath, [join(ROOT, 'bench/peers/tcp-fwd.ts'), String(fwd.bulk), String(helloPort)]), fwd.bulk)
  const fwdPid = await started(bg(process.execPath, [join(ROOT, 'bench/peers/tcp-fwd.ts'), String(fwd.hs), String(be.tls)]), fwd.hs)
  sni.push({ name: 'node-fwd', ...fwd, pid: fwdPid })
  const skipped = new Map<string, string>()
  if (need.haproxy == null) {
    const port = await freePort()
    writeFileSync(join(dir, 'haproxy-sni.cfg'), haproxySni(port, routes))
    sni.push({ name: 'haproxy', bulk: port, hs: port, pid: await started(bg('haproxy', ['-db', '-f', join(dir, 'haproxy-sni.cfg')]), port) })
  } else skipped.set('haproxy', `package missing: ${need.haproxy}`)
  if (need.nginxStream == null) {
    const port = await freePort()
    writeFileSync(join(dir, 'nginx-sni.conf'), nginxSni(dir, port, routes))
    sni.push({ name: 'nginx', bulk: port, hs: port, pid: await started(bg('nginx', ['-e', join(dir, 'nginx-sni.err'), '-p', `${dir}/`, '-c', join(dir, 'nginx-sni.conf')]), port) })
  } else skipped.set('nginx', `package missing: ${need.nginxStream}`)

  // HTTP routers
  const http: HttpPath[] = [{ name: 'direct', tls: false, url: `http://127.0.0.1:${be.http}/1k.bin` }]
  const nodeHttp = { plain: await freePort(), tls: await freePort() }
  const nodePid = await started(bg(process.execPath, [join(ROOT, 'bench/chain/http-proxy.ts'), String(nodeHttp.plain), String(nodeHttp.tls), String(be.http), cert, key, HOST]), nodeHttp.plain, nodeHttp.tls)
  http.push({ name: 'node-http', tls: false, url: `http://127.0.0.1:${nodeHttp.plain}/1k.bin`, pid: nodePid })
  http.push({ name: 'node-http', tls: true, url: `https://${WRK_SNI}:${nodeHttp.tls}/1k.bin`, pid: nodePid })
  if (need.nginx == null) {
    const p = { plain: await freePort(), tls: await freePort(), upstream: be.http }
    writeFileSync(join(dir, 'nginx-http.conf'), nginxHttp(dir, p, HOST, cert, key))
    const pid = await started(bg('nginx', ['-e', join(dir, 'nginx-http.err'), '-p', `${dir}/`, '-c', join(dir, 'nginx-http.conf')]), p.plain, p.tls)
    http.push({ name: 'nginx', tls: false, url: `http://127.0.0.1:${p.plain}/1k.bin`, pid })
    http.push({ name: 'nginx', tls: true, url: `https://${WRK_SNI}:${p.tls}/1k.bin`, pid })
  }

  // zonegate, all three jobs in one gateway process
  const zg: ZonegateUp = await startZonegate(dir, routes, [ROUTES_NAMES.bulk, WRK_SNI], HOST, be.http, cert, key)
  if ('skipped' in zg) {
    skipped.set('zonegate', zg.skipped)
    log(`zonegate skipped: ${zg.skipped}`)
  } else {
    sni.push({ name: 'zonegate', bulk: zg.ports.sni, hs: zg.ports.sni, pid: zg.pid })
    http.push({ name: 'zonegate', tls: false, url: `http://127.0.0.1:${zg.ports.http}/1k.bin`, pid: zg.pid })
    http.push({ name: 'zonegate', tls: true, url: `https://${WRK_SNI}:${zg.ports.web}/1k.bin`, pid: zg.pid })
  }

  await sniBench(sni, skipped, backendKind)
  if (need.wrk != null) {
    skip('http-by-host', { path: 'all' }, `wrk is missing; install it with: ${need.wrk}`)
  } else {
    await httpBench(http, skipped, backendKind)
  }
}

async function sniBench (paths: SniPath[], skipped: Map<string, string>, backendKind: string): Promise<void> {
  const hello = await captureClientHello(ROUTES_NAMES.bulk)
  const gbps = new Map<string, number[]>(paths.map(p => [p.name, []]))
  const rtt = new Map<string, number[]>(paths.map(p => [p.name, []]))
  const foreign = new Map<string, number>()
  const noteForeign = (name: string, pct: number): void => { foreign.set(name, Math.max(foreign.get(name) ?? 0, pct)) }
  const errors = new Map<string, string>()
  // Runs interleave the paths so that a slow moment of the shared machine hits all of them.
  for (let run = 0; run < RUNS; run++) {
    for (const p of paths) {
      if (errors.has(p.name)) continue
      try {
        const r = await runner.measure(async () => ({ g: await bulkGbps(p.bulk, hello, SECS), t: await pingPong(p.bulk, hello, PINGS, PING_BYTES, 20_000) }))
        gbps.get(p.name)!.push(r.g)
        rtt.get(p.name)!.push(...r.t)
        noteForeign(p.name, r.foreignPct)
      } catch (err) { errors.set(p.name, (err as Error).message) }
      log(`sni ${p.name} run ${run + 1}: ${gbps.get(p.name)!.at(-1)?.toFixed(2)} Gbit/s, foreign CPU ≤ ${foreign.get(p.name) ?? '?'}%`)
    }
  }
  const hs = new Map<string, { rate: number, cpuUs: number, p50: number, errors: number }>()
  for (const p of paths) {
    if (errors.has(p.name)) continue
    const r = await runner.measure(async () => {
      const c0 = p.pid != null ? cpuNs(p.pid) : NaN
      const x = await tlsRate(p.hs, ROUTES_NAMES.hs, HS_SECS, HS_CONC)
      return { ...x, cpuNs: (p.pid != null ? cpuNs(p.pid) : NaN) - c0 }
    })
    noteForeign(`${p.name}/hs`, r.foreignPct)
    hs.set(p.name, { rate: r.rate, cpuUs: r.cpuNs / 1000 / r.conns, p50: r.p50, errors: r.errors })
    log(`sni ${p.name}: ${r.rate.toFixed(0)} TLS conn/s, router ${(r.cpuNs / 1000 / r.conns).toFixed(1)} µs CPU/conn, ${r.errors} errors, foreign CPU ${r.foreignPct}%`)
  }

  const params = { streams: 1, secs: SECS, runs: RUNS, tls_backend: backendKind }
  const g = (n: string): number => median((gbps.get(n) ?? []).filter(Number.isFinite))
  const q = (n: string, f: number): number => pct(rtt.get(n) ?? [], f)
  const added = (n: string, f: number): number => q(n, f) - q('direct', f)
  for (const [name, why] of skipped) skip('sni-throughput', { path: name }, why)
  for (const p of paths) {
    if (errors.has(p.name) || Number.isNaN(g(p.name))) { skip('sni-throughput', { path: p.name }, `path failed: ${errors.get(p.name) ?? 'no bytes came through'}`); continue }
    const r = (base: string): number => ratio(g(p.name), g(base))
    emit('sni-throughput', { path: p.name, ...params }, 'Gbit/s', g(p.name), { samples: gbps.get(p.name)!.map(x => Number(x.toFixed(3))), foreign_cpu_pct: foreign.get(p.name), ratio_to_node_fwd: r('node-fwd'), ratio_to_haproxy: r('haproxy'), ratio_to_nginx: r('nginx') })
    for (const [quant, f] of [['p50', 0.5], ['p99', 0.99]] as const) {
      if (p.name === 'direct') { emit('sni-rtt-direct', { quantile: quant, bytes: PING_BYTES }, 'us', q('direct', f), { samples: rtt.get('direct')!.length }); continue }
      const a = (base: string): number => ratio(added(p.name, f), added(base, f))
      emit('sni-rtt-added', { path: p.name, quantile: quant, bytes: PING_BYTES }, 'us', added(p.name, f), { absolute_us: Number(q(p.name, f).toFixed(1)), samples: rtt.get(p.name)!.length, ratio_to_node_fwd: a('node-fwd'), ratio_to_haproxy: a('haproxy'), ratio_to_nginx: a('nginx') })
    }
    const h = hs.get(p.name)
    if (h == null) continue
    const hr = (base: string): number => ratio(h.rate, hs.get(base)?.rate ?? NaN)
    emit('sni-tls-new-conns', { path: p.name, concurrency: HS_CONC, secs: HS_SECS, tls_backend: backendKind }, 'conn/s', h.rate, { handshake_p50_ms: Number(h.p50.toFixed(2)), errors: h.errors, foreign_cpu_pct: foreign.get(`${p.name}/hs`), ratio_to_node_fwd: hr('node-fwd'), ratio_to_haproxy: hr('haproxy'), ratio_to_nginx: hr('nginx') })
    if (p.pid != null) {
      const cr = (base: string): number => ratio(h.cpuUs, hs.get(base)?.cpuUs ?? NaN)
      emit('sni-router-cpu-per-conn', { path: p.name }, 'us', h.cpuUs, { ratio_to_node_fwd: cr('node-fwd'), ratio_to_haproxy: cr('haproxy'), ratio_to_nginx: cr('nginx') })
    }
  }
  if (!skipped.has('zonegate') && !errors.has('zonegate')) {
    const hz = hs.get('zonegate'); const hh = hs.get('haproxy')
    target('sni throughput >= 0.9 x node-fwd', ratio(g('zonegate'), g('node-fwd')), 0.9, false)
    target('sni throughput >= 1 x haproxy', ratio(g('zonegate'), g('haproxy')), 1, false)
    target('sni added rtt p50 <= 1.5 x haproxy', ratio(added('zonegate', 0.5), added('haproxy', 0.5)), 1.5, true)
    target('sni router cpu per new tls conn <= 1.2 x haproxy', ratio(hz?.cpuUs ?? NaN, hh?.cpuUs ?? NaN), 1.2, true)
  }
}

async function httpBench (paths: HttpPath[], skipped: Map<string, string>, backendKind: string): Promise<void> {
  const key = (p: HttpPath): string => `${p.name}/${p.tls ? 'tls' : 'plain'}`
  const res = new Map<string, Array<{ rps: number, p50: number, p99: number, cpuUs: number, foreign: number }>>(paths.map(p => [key(p), []]))
  const errors = new Map<string, string>()
  for (let run = 0; run < WRK_RUNS; run++) {
    for (const p of paths) {
      const r = await runner.measure(async () => {
        const c0 = p.pid != null ? cpuNs(p.pid) : NaN
        const x = await wrk(p.url, HOST, WRK_SECS, CONNS)
        return { ...x, cpuNs: (p.pid != null ? cpuNs(p.pid) : NaN) - c0 }
      })
      if (r.errors != null) errors.set(key(p), r.errors)
      res.get(key(p))!.push({ rps: r.rps, p50: r.p50, p99: r.p99, cpuUs: r.cpuNs / 1000 / (r.rps * WRK_SECS), foreign: r.foreignPct })
      log(`http ${key(p)} run ${run + 1}: ${r.rps} req/s, p99 ${r.p99} ms, foreign CPU ${r.foreignPct}%${r.errors != null ? `, errors: ${r.errors}` : ''}`)
    }
  }
  const m = (k: string, f: 'rps' | 'p50' | 'p99' | 'cpuUs'): number => median((res.get(k) ?? []).map(x => x[f]).filter(x => !Number.isNaN(x)))
  for (const [name, why] of skipped) if (name !== 'haproxy') skip('http-by-host', { path: name }, why)
  for (const p of paths) {
    const k = key(p)
    const mode = p.tls ? 'tls' : 'plain'
    if (Number.isNaN(m(k, 'rps'))) { skip('http-by-host', { path: p.name, tls: p.tls }, `path failed: ${errors.get(k) ?? 'no result'}`); continue }
    const params = { path: p.name, tls: p.tls, conns: CONNS, body: 1024, secs: WRK_SECS, runs: WRK_RUNS, upstream: backendKind }
    emit('http-by-host', params, 'req/s', m(k, 'rps'), {
      samples: res.get(k)!.map(x => x.rps),
      foreign_cpu_pct: Math.max(...res.get(k)!.map(x => x.foreign)),
      ratio_to_node_http: ratio(m(k, 'rps'), m(`node-http/${mode}`, 'rps')),
      ratio_to_nginx: ratio(m(k, 'rps'), m(`nginx/${mode}`, 'rps')),
      ...(errors.has(k) ? { errors: errors.get(k) } : {})
    })
    emit('http-by-host-latency', { ...params, quantile: 'p99' }, 'ms', m(k, 'p99'), { p50_ms: m(k, 'p50'), ratio_to_nginx: ratio(m(k, 'p99'), m(`nginx/${mode}`, 'p99')), ratio_to_node_http: ratio(m(k, 'p99'), m(`node-http/${mode}`, 'p99')) })
    if (p.pid != null) emit('http-by-host-cpu-per-req', { path: p.name, tls: p.tls }, 'us', m(k, 'cpuUs'), { ratio_to_nginx: ratio(m(k, 'cpuUs'), m(`nginx/${mode}`, 'cpuUs')) })
  }
  if (!skipped.has('zonegate')) {
    for (const mode of ['plain', 'tls']) {
      const z = `zonegate/${mode}`
      if (Number.isNaN(m(z, 'rps'))) continue
      target(`http by host (${mode}) >= 2 x node-http`, ratio(m(z, 'rps'), m(`node-http/${mode}`, 'rps')), 2, false)
      target(`http by host (${mode}) p99 <= 2 x nginx`, ratio(m(z, 'p99'), m(`nginx/${mode}`, 'p99')), 2, true)
    }
  }
}

// Whatever goes wrong, every process this benchmark started is stopped before it exits.
await runBench(main, dir)
