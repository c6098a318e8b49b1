// Micro-benchmark: parseRequestHead on a typical ~400-byte browser request head.
//   node bench/micro/http-head.ts [--secs 2] [--facts]   (--facts: also requestFacts + requestFraming)
// Prints one JSON line (parses/s); the proxy's 20 000 req/s budget needs this far above that.
import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { parseRequestHead, requestFacts } from '../../src/chain/http/head.ts'
import { requestFraming } from '../../src/chain/http/framing.ts'

const { values: opt } = parseArgs({ options: { secs: { type: 'string', default: '2' }, facts: { type: 'boolean', default: false } } })
const SECS = Number(opt.secs)
const HEAD = Buffer.from([
  'GET /api/v1/items?page=2&sort=desc HTTP/1.1',
  'Host: app.example.com',
  'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'Accept-Language: en-US,en;q=0.5',
  'Accept-Encoding: gzip, deflate, br',
  'Connection: keep-alive',
  'Cookie: session=3f9a1c2e7b6d4a5f8e0c1b2a3d4e5f60',
  'Upgrade-Insecure-Requests: 1',
  '', ''
].join('\r\n'), 'latin1')

function run (params: { facts: boolean }): void {
  let sink = 0
  const once = (): void => {
    const r = parseRequestHead(HEAD)
    if (r.status !== 'done') throw new Error('bench head did not parse')
    sink += params.facts ? requestFacts(r.head).path.length + (requestFraming(r.head).kind === 'none' ? 1 : 0) : r.head.bytes
  }
  for (let i = 0; i < 20_000; i++) once() // warm up the JIT
  const samples: number[] = []
  const deadline = performance.now() + SECS * 1000
  while (performance.now() < deadline) {
    const start = performance.now()
    for (let i = 0; i < 10_000; i++) once()
    samples.push(10_000 / ((performance.now() - start) / 1000))
  }
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length
  const sd = Math.sqrt(samples.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, samples.length - 1))
  if (sink === 0) throw new Error('nothing was parsed') // keeps the loop from being optimised away
  const commit = (() => { try { return execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim() } catch { return 'unknown' } })()
  process.stdout.write(JSON.stringify({
    bench: params.facts ? 'http-head-parse+facts' : 'http-head-parse',
    params: { bytes: HEAD.length, headers: 8 },
    unit: 'parses/s',
    value: Math.round(mean),
    samples: samples.length,
    rme: Number((100 * sd / mean / Math.sqrt(samples.length)).toFixed(2)),
    node: process.version,
    commit
  }) + '\n')
}

run({ facts: opt.facts })
