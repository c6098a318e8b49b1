// Properties of the engine's byte handling, driven through in-memory stream pairs: random and
// truncated bytes only ever produce an HTTP error answer or a close (never a crash or a hang),
// and valid pipelined requests split at arbitrary points are each answered exactly once.
import t from 'tap'
import fc from 'fast-check'
import { duplexPair } from 'node:stream'
import { serveHttp, type HttpEngineDeps } from '../../../../../src/chain/http/proxy/engine.ts'
import { silentLogger } from '../../../../../src/core/logger.ts'
import { route, countHeads } from './helpers.ts'
import { withinTime } from '../../../../helpers/within-time.ts'

const hello = route('hello', { kind: 'respond', status: 200, headers: {}, body: 'hi' })
const deps: HttpEngineDeps = {
  route: () => hello,
  upstream: () => { throw new Error('no upstream in this test') },
  local: async () => ({ status: 200, headers: [], body: Buffer.from('hi') }),
  filterResponse: () => {},
  onRequestDone: () => {},
  logger: silentLogger()
}

/** Feed `chunks` to the engine, end, and collect all it wrote until it finished. */
async function run (chunks: Buffer[]): Promise<string> {
  const [client, server] = duplexPair()
  let out = ''
  client.on('data', (d: Buffer) => { out += d.toString('latin1') })
  client.on('error', () => {})
  const drained = new Promise<void>(resolve => { client.once('end', resolve); client.once('close', resolve) })
  const done = serveHttp(server, { stack: 's', localPort: 0, source: { address: '127.0.0.1', port: 1 } }, deps, { headTimeoutMs: 1000, idleTimeoutMs: 1000, maxHeadBytes: 4096 })
  for (const c of chunks) client.write(c)
  client.end()
  await done
  await drained
  return out
}

const requestPrefix = fc.constantFrom('GET / HTTP/1.1\r\nHost: a\r\n', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', 'POST / HTTP/1.1\r\nContent-Length: 10\r\nHost: a\r\n\r\n', 'GET / HTTP/1.0\r\n\r\n', '')

t.test('random and truncated bytes: an HTTP answer or nothing, and the engine finishes', async t => {
  await fc.assert(fc.asyncProperty(requestPrefix, fc.uint8Array({ maxLength: 600 }), fc.nat({ max: 200 }), withinTime(5000, async (prefix, tail, cut) => {
    const bytes = Buffer.concat([Buffer.from(prefix, 'latin1'), tail])
    const truncated = bytes.subarray(0, Math.min(bytes.length, cut + 1 + Math.floor(bytes.length / 2)))
    const out = await run([truncated])
    return out === '' || out.startsWith('HTTP/1.1 ')
  })), { numRuns: 400 })
  t.pass('no crash, no hang')
})

interface Req { wire: string }
const body = fc.string({ unit: fc.constantFrom('a', 'b', '\r', '\n', '0'), maxLength: 40 })
const oneRequest: fc.Arbitrary<Req> = fc.oneof(
  fc.constant({ wire: 'GET /g HTTP/1.1\r\nHost: a\r\n\r\n' }),
  body.map(b => ({ wire: `POST /l HTTP/1.1\r\nHost: a\r\nContent-Length: ${b.length}\r\n\r\n${b}` })),
  fc.array(body.filter(b => b.length > 0), { maxLength: 4 }).map(parts => ({
    wire: 'POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' + parts.map(p => `${p.length.toString(16)}\r\n${p}\r\n`).join('') + '0\r\n\r\n'
  }))
)

t.test('pipelined valid requests split anywhere are each answered once, in order', async t => {
  await fc.assert(fc.asyncProperty(fc.array(oneRequest, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), withinTime(5000, async (reqs, cuts) => {
    const all = Buffer.from(reqs.map(r => r.wire).join(''), 'latin1')
    const points = [...new Set(cuts.map(c => c % all.length))].sort((a, b) => a - b)
    const chunks: Buffer[] = []
    let from = 0
    for (const p of points) { chunks.push(all.subarray(from, p)); from = p }
    chunks.push(all.subarray(from))
    const out = await run(chunks.filter(c => c.length > 0))
    return countHeads(out) === reqs.length && !out.includes(' 400 ')
  })), { numRuns: 300 })
  t.pass('all answered')
})
