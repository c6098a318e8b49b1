// What finding an upstream by service discovery costs per request: one zonegate gateway serving
// its zone's system-config (node:sqlite), a hello service announced in it, and two routes on one
// HTTP stack: /fixed/ → http_proxy tcp://127.0.0.1:<port> and /kapi/hello/ → the same server
// found as service://hello. wrk drives each in turn (keep-alive, 1 KiB answers). JSON lines:
//   node bench/service.ts [--secs 5] [--conns 32] [--runs 3]
import http from 'node:http'
import { once } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { keygen, writeConfig, zonegate, freePort } from '../integration/harness/proc.ts'
import { benchCommit, cleanups, log, missing, runBench } from './chain/procs.ts'
import { makeEmitter, ratio } from './chain/report.ts'
import { median, wrk } from './chain/load.ts'

const { values: opt } = parseArgs({ strict: false, options: { secs: { type: 'string', default: '5' }, conns: { type: 'string', default: '32' }, runs: { type: 'string', default: '3' } } })
const SECS = Math.min(30, Number(opt.secs)); const CONNS = Math.min(256, Number(opt.conns)); const RUNS = Math.min(10, Number(opt.runs))
const { emit, skip } = makeEmitter(benchCommit())
const ZONE = 'bench.test'

async function main (): Promise<void> {
  const need = missing([['/usr/bin/wrk', 'wrk']])
  if (need != null) { skip('service-overhead', {}, `wrk is missing: ${need}`); return }
  const dir = mkdtempSync(join(tmpdir(), 'zonegate-bench-svc-'))
  const body = Buffer.alloc(1024, 'x')
  const upstream = http.createServer((_req, res) => { res.writeHead(200, { 'content-length': body.length }); res.end(body) })
  upstream.listen(0, '127.0.0.1')
  await once(upstream, 'listening')
  cleanups.push(() => { upstream.closeAllConnections(); upstream.close() })
  const port = (upstream.address() as { port: number }).port
  const [owner, node] = [await keygen(dir, 'owner'), await keygen(dir, 'node1')]
  const web = await freePort()
  const file = await writeConfig(dir, 'node1', {
    role: 'gateway',
    device: { key: node.file },
    log: { level: 'warn' },
    access_log: false,
    sysconfig: { zone: ZONE, owner: owner.did, node: 'node1', serve: { backend: 'sqlite', file: join(dir, 'sysconfig.db') } },
    stacks: [{ id: 'web', listen: `127.0.0.1:${web}`, chain: 'web' }],
    chains: {
      web: {
        probe: ['http'],
        routes: [
          { id: 'sysconfig', match: { path_prefix: '/kapi/system_config' }, process: { http_proxy: 'internal://system_config' } },
          { id: 'fixed', match: { path_prefix: '/fixed/' }, process: { http_proxy: `tcp://127.0.0.1:${port}` } },
          { id: 'kapi', match: { path_prefix: '/kapi/' }, process: { kapi: {} } }
        ]
      }
    }
  })
  const gw = zonegate({ teardown: (fn) => { cleanups.push(fn) } }, 'node1', ['gateway', '-c', file])
  await gw.waitFor(l => l.msg === 'service discovery ready', 20_000).catch(() => undefined)
  await new Promise(resolve => setTimeout(resolve, 500))
  const announcer = zonegate({ teardown: (fn) => { cleanups.push(fn) } }, 'announce', ['service', 'announce', '--sysconfig', `http://127.0.0.1:${web}/kapi/system_config`, '--token-key', node.file, '--zone', ZONE, '--service', 'hello', '--node', 'node1', '--port', `http=${port}`, '--log-level', 'warn'])
  // Ready when the route answers 200 through discovery.
  const deadline = Date.now() + 15_000
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${web}/kapi/hello/`).then(r => r.status === 200, () => false)
    if (ok) break
    if (Date.now() > deadline) throw new Error(`service://hello did not resolve; announcer: ${announcer.stderr.slice(-300)}`)
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  const results: Record<string, { rps: number[], p50: number[], p99: number[] }> = { fixed: { rps: [], p50: [], p99: [] }, service: { rps: [], p50: [], p99: [] } }
  for (let r = 0; r < RUNS; r++) {
    for (const [name, path] of [['fixed', '/fixed/x'], ['service', '/kapi/hello/x']] as const) {
      const w = await wrk(`http://127.0.0.1:${web}${path}`, 'bench.test', SECS, CONNS)
      if (w.errors != null) log(`${name}: ${w.errors}`)
      results[name].rps.push(w.rps); results[name].p50.push(w.p50); results[name].p99.push(w.p99)
      log(`${name} run ${r + 1}: ${w.rps.toFixed(0)} req/s, p50 ${w.p50} ms, p99 ${w.p99} ms`)
    }
  }
  const params = { secs: SECS, conns: CONNS, runs: RUNS, body: '1 KiB', keepalive: true }
  for (const name of ['fixed', 'service'] as const) {
    emit('service-overhead', { ...params, upstream: name === 'fixed' ? 'tcp://127.0.0.1 (fixed)' : 'service://hello (discovery)' }, 'req/s', median(results[name].rps), { p50_ms: median(results[name].p50), p99_ms: median(results[name].p99) })
  }
  emit('service-overhead-ratio', params, 'x', ratio(median(results.service.rps), median(results.fixed.rps)), { p50_ratio: ratio(median(results.service.p50), median(results.fixed.p50)) })
}

await runBench(main, mkdtempSync(join(tmpdir(), 'zonegate-bench-service-')))
