// node bench/socks/table.ts FILE.jsonl — the SOCKS benchmark's JSON lines as the Markdown tables of
// docs/benchmarks.md (paste, then write the prose around them).
import { readFileSync } from 'node:fs'

type Line = Record<string, any> & { bench: string, params: Record<string, any> }
const lines: Line[] = readFileSync(process.argv[2], 'utf8').split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l))
const find = (bench: string, path: string): Line | undefined => lines.find(l => l.bench === bench && l.params.path === path && l.value != null)
const f = (x: unknown, d = 2): string => typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '–'
const out: string[] = []
out.push('| path | Gbit/s (median) | runs | × microsocks | × dante | proxy CPU s/GiB | sessions/s (median) | runs | × microsocks | × dante | proxy CPU µs/session | foreign CPU % (max) |')
out.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |')
for (const p of ['direct', 'zonegate', 'microsocks', 'dante']) {
  const t = find('socks-throughput', p)
  if (t == null) { const s = lines.find(l => l.bench === 'socks-throughput' && l.params.path === p && l.skipped != null); if (s != null) out.push(`| ${p} | skipped: ${s.skipped} | | | | | | | | | | |`); continue }
  const r = find('socks-sessions', p)
  const c = find('socks-proxy-cpu-per-session', p)
  const name = p === 'zonegate' ? '**zonegate** (engine)' : p === 'direct' ? 'direct (no proxy)' : p
  out.push(`| ${name} | ${f(t.value)} | ${(t.samples as number[]).map(x => f(x)).join(', ')} | ${f(t.ratio_to_microsocks)} | ${f(t.ratio_to_dante)} | ${f(t.proxy_cpu_s_per_gib)} | ${f(r?.value, 0)} | ${((r?.samples ?? []) as number[]).join(', ')} | ${f(r?.ratio_to_microsocks)} | ${f(r?.ratio_to_dante)} | ${f(c?.value, 0)} | ${Math.max(t.foreign_cpu_pct ?? 0, r?.foreign_cpu_pct ?? 0)} |`)
}
out.push('')
out.push('| target | measured | met |')
out.push('| --- | ---: | --- |')
for (const l of lines.filter(l => l.bench === 'socks-target')) out.push(`| ${l.params.target} | ${l.value != null ? `${f(l.value)} ×` : `– (${l.skipped})`} | ${l.met === true ? 'met' : 'not met'} |`)
process.stdout.write(out.join('\n') + '\n')
