// node bench/chain/table.ts FILE.jsonl — the chain benchmark's JSON lines as the Markdown tables
// of docs/benchmarks.md (paste, then write the prose around them).
import { readFileSync } from 'node:fs'

type Line = Record<string, any> & { bench: string, params: Record<string, any> }
const lines: Line[] = readFileSync(process.argv[2], 'utf8').split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l))
const find = (bench: string, match: Record<string, unknown>): Line | undefined =>
  lines.find(l => l.bench === bench && l.value != null && Object.entries(match).every(([k, v]) => l.params[k] === v))
const f = (x: unknown, d = 2): string => typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '–'
const out: string[] = []

const SNI = ['direct', 'node-fwd', 'haproxy', 'nginx', 'zonegate']
out.push('| path | Gbit/s (median) | runs | × node-fwd | × haproxy | RTT p50 µs (added) | RTT p99 µs | new TLS conn/s | router CPU µs/conn | CPU × haproxy |')
out.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const p of SNI) {
  const t = find('sni-throughput', { path: p })
  if (t == null) { const s = lines.find(l => l.bench === 'sni-throughput' && l.params.path === p && l.skipped != null); if (s != null) out.push(`| ${p} | skipped: ${s.skipped} | | | | | | | | |`); continue }
  const r50 = p === 'direct' ? find('sni-rtt-direct', { quantile: 'p50' }) : find('sni-rtt-added', { path: p, quantile: 'p50' })
  const r99 = p === 'direct' ? find('sni-rtt-direct', { quantile: 'p99' }) : find('sni-rtt-added', { path: p, quantile: 'p99' })
  const hs = find('sni-tls-new-conns', { path: p })
  const cpu = find('sni-router-cpu-per-conn', { path: p })
  const rtt50 = p === 'direct' ? `${f(r50?.value, 0)}` : `${f(r50?.absolute_us, 0)} (+${f(r50?.value, 0)})`
  const rtt99 = p === 'direct' ? f(r99?.value, 0) : f(r99?.absolute_us, 0)
  out.push(`| ${p} | ${f(t.value)} | ${(t.samples as number[]).map(x => f(x)).join(', ')} | ${f(t.ratio_to_node_fwd)} | ${f(t.ratio_to_haproxy)} | ${rtt50} | ${rtt99} | ${f(hs?.value, 0)} | ${f(cpu?.value, 0)} | ${f(cpu?.ratio_to_haproxy)} |`)
}
out.push('')
out.push('| router | TLS | req/s (median) | runs | × node-http | × nginx | p50 ms | p99 ms | p99 × nginx | router CPU µs/req |')
out.push('| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const tls of [false, true]) {
  for (const p of ['direct', 'node-http', 'nginx', 'zonegate']) {
    const r = find('http-by-host', { path: p, tls })
    if (r == null) continue
    const l = find('http-by-host-latency', { path: p, tls })
    const c = find('http-by-host-cpu-per-req', { path: p, tls })
    out.push(`| ${p} | ${tls ? 'terminated' : 'no'} | ${f(r.value, 0)} | ${(r.samples as number[]).map(x => f(x, 0)).join(', ')} | ${f(r.ratio_to_node_http)} | ${f(r.ratio_to_nginx)} | ${f(l?.p50_ms)} | ${f(l?.value)} | ${f(l?.ratio_to_nginx)} | ${f(c?.value, 1)} |`)
  }
}
out.push('')
out.push('| target | measured | met |')
out.push('| --- | ---: | --- |')
for (const l of lines.filter(l => l.bench === 'chain-target')) out.push(`| ${l.params.target} | ${f(l.value)} × | ${l.met === true ? 'met' : 'not met'} |`)
process.stdout.write(out.join('\n') + '\n')
