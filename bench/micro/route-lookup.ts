// Route lookup: RouteTable.lookup (exact-name index) vs a linear scan testing every route in
// order, on a chain of exact-SNI routes. One JSON line per configuration on stdout:
//   {"bench":"route-lookup","params":{"routes":10000,"mode":"indexed"},"unit":"lookups/s",...}
//   node bench/micro/route-lookup.ts [--samples 10] [--ms 200]
// Each configuration runs in a fresh process (this file re-spawned with --one).
// mitata is not a dependency yet; the loop below times fixed-length samples instead.
import { spawnSync, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { compileTable } from '../../src/chain/table.ts'
import type { ChainSpec, ConnFacts, RouteSpec } from '../../src/chain/types.ts'

const MATRIX = {
  routes: [10000],
  mode: ['indexed', 'linear'] as const
}

const { values: opt } = parseArgs({
  options: {
    samples: { type: 'string', default: '10' },
    ms: { type: 'string', default: '200' },
    one: { type: 'string' }
  }
})

function commit (): string {
  try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() } catch { return 'unknown' }
}

function chainOf (n: number): ChainSpec {
  const routes: RouteSpec[] = Array.from({ length: n }, (_, i) => ({
    id: `r${i}`, match: { sni: [`host${i}.example.test`] }, process: { kind: 'drop' }, postRespFilter: []
  }))
  return { name: 'bench', probe: ['tls'], probeMaxBytes: 16384, probeTimeoutMs: 5000, trustedProxies: [], routes, postRespFilter: [] }
}

function runOne (routes: number, mode: 'indexed' | 'linear'): void {
  const table = compileTable(chainOf(routes))
  // Names spread over the whole table (a linear scan's average cost), plus 1 in 16 misses.
  const facts: ConnFacts[] = Array.from({ length: 1024 }, (_, i) => ({
    stack: 'web',
    localPort: 443,
    source: { address: '127.0.0.1', port: 40000 },
    tls: { sni: i % 16 === 0 ? `miss${i}.example.test` : `host${(i * 7919) % routes}.example.test`, alpn: [] }
  }))
  const lookup = mode === 'indexed'
    ? (f: ConnFacts) => table.lookup(f)
    : (f: ConnFacts) => table.routes.find(r => r.matches(f))
  const sampleMs = Number(opt.ms)
  let sink = 0
  const rates: number[] = []
  for (let s = -1; s < Number(opt.samples); s++) { // sample -1 warms up
    let n = 0
    const start = performance.now()
    let now = start
    while (now - start < sampleMs) {
      for (let k = 0; k < 64; k++) if (lookup(facts[(n + k) & 1023]) !== undefined) sink++
      n += 64
      now = performance.now()
    }
    if (s >= 0) rates.push(n / ((now - start) / 1000))
  }
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length
  const sd = Math.sqrt(rates.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rates.length - 1))
  const rme = (1.96 * sd / Math.sqrt(rates.length)) / mean * 100
  process.stdout.write(JSON.stringify({
    bench: 'route-lookup',
    params: { routes, mode },
    unit: 'lookups/s',
    value: Math.round(mean),
    samples: rates.length,
    rme: Number(rme.toFixed(2)),
    node: process.version,
    commit: commit()
  }) + '\n')
  if (sink === 0) process.stderr.write('# no lookup matched: the benchmark is broken\n')
}

if (opt.one != null) {
  const [routes, mode] = opt.one.split(':')
  runOne(Number(routes), mode as 'indexed' | 'linear')
} else {
  const self = fileURLToPath(import.meta.url)
  for (const routes of MATRIX.routes) {
    for (const mode of MATRIX.mode) {
      const r = spawnSync(process.execPath, [...process.execArgv, self, '--one', `${routes}:${mode}`, '--samples', String(opt.samples), '--ms', String(opt.ms)], { stdio: ['ignore', 'inherit', 'inherit'] })
      if (r.status !== 0) process.exitCode = 1
    }
  }
}
