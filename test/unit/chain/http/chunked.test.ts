import t from 'tap'
import fc from 'fast-check'
import { createChunkedScanner, DEFAULT_MAX_CHUNK_LINE_BYTES, MAX_TRAILER_BYTES } from '../../../../src/chain/http/chunked.ts'

const FC_TIME = 4000
const b = (s: string): Buffer => Buffer.from(s, 'latin1')

/** Feed `parts` in order; the body length the scanner found, or -1 when it never ended. */
function scan (parts: Buffer[], limits?: { maxLineBytes?: number }): number {
  const scanner = createChunkedScanner(limits)
  let offset = 0
  for (const part of parts) {
    const { consumed, done } = scanner.push(part)
    if (consumed > part.length || consumed < 0) throw new Error(`consumed ${consumed} of ${part.length}`)
    if (done) return offset + consumed
    if (consumed !== part.length) throw new Error('consumed less without being done')
    offset += part.length
  }
  return -1
}

function bytewise (buf: Buffer): Buffer[] {
  return Array.from({ length: buf.length }, (_, i) => buf.subarray(i, i + 1))
}

function errorOf (fn: () => unknown): { code?: string, httpStatus?: number } {
  try { fn() } catch (err) { return err as { code?: string, httpStatus?: number } }
  return {}
}

const valid = [
  '0\r\n\r\n',
  '5\r\nhello\r\n0\r\n\r\n',
  '5\r\nhe\r\nl\r\n0\r\n\r\n', // CRLF inside data is data
  'A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n',
  '000005\r\nhello\r\n0000\r\n\r\n',
  '5;name=value\r\nhello\r\n0;last\r\n\r\n',
  '5 ;a="quoted; \\"x\\""\r\nhello\r\n0\r\n\r\n',
  '5\t;a\r\nhello\r\n0\r\n\r\n',
  '0\r\nExpires: never\r\nX-Checksum:abc \t def\r\n\r\n',
  '3\r\n\x00\xff\r\r\n0\r\nX:\r\n\r\n'
]

t.test('valid bodies end exactly at their last byte, in one piece or byte by byte', async t => {
  for (const body of valid) {
    const buf = b(body)
    const withNext = Buffer.concat([buf, b('GET / HTTP/1.1\r\n\r\n')])
    t.equal(scan([withNext]), buf.length, JSON.stringify(body))
    t.equal(scan(bytewise(withNext)), buf.length, `${JSON.stringify(body)} byte by byte`)
    t.equal(scan([buf.subarray(0, buf.length - 1)]), -1, 'one byte short is in progress')
  }
})

t.test('bytes pass through: push leaves the buffer untouched, done stays done', async t => {
  const buf = b('5\r\nhello\r\n0\r\n\r\nNEXT')
  const copy = Buffer.from(buf)
  const s = createChunkedScanner()
  t.same(s.push(buf), { consumed: buf.length - 4, done: true })
  t.ok(buf.equals(copy))
  t.same(s.push(b('more')), { consumed: 0, done: true })
})

t.test('malformed framing gives coded errors', async t => {
  const cases: Array<[string, string]> = [
    ['\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'], // empty size
    ['g\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    [' 5\r\nhello\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['-5\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['0x5\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['5\nhello\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'], // bare LF
    ['5\rhello\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'], // bare CR
    ['5 \r\nhello\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'], // BWS without extension
    ['5;a\nb\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['5;a\x00\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['5\r\nhelloX\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'], // data longer than its size
    ['5\r\nhello\n0\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['5\r\nhello\r\r', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['fffffffffffffff\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'], // size overflow (> 2^53)
    ['0\r\n X: y\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'], // obs-fold in trailers
    ['0\r\nX : y\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['0\r\nNoColon\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['0\r\nX: a\nb\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['0\r\nX: a\rb\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['0\r\n\rX', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    ['0\r\n\n', 'CHAIN_ERR_HTTP_BAD_CHUNK'],
    [`5;${'x'.repeat(DEFAULT_MAX_CHUNK_LINE_BYTES)}\r\n`, 'CHAIN_ERR_HTTP_CHUNK_LINE_TOO_LONG'],
    [`${'0'.repeat(DEFAULT_MAX_CHUNK_LINE_BYTES + 1)}`, 'CHAIN_ERR_HTTP_CHUNK_LINE_TOO_LONG'], // leading zeros never end
    [`0\r\nX: ${'x'.repeat(DEFAULT_MAX_CHUNK_LINE_BYTES)}\r\n`, 'CHAIN_ERR_HTTP_CHUNK_LINE_TOO_LONG'],
    [`0\r\n${'X: y\r\n'.repeat(MAX_TRAILER_BYTES / 4 + 1)}`, 'CHAIN_ERR_HTTP_CHUNK_LINE_TOO_LONG']
  ]
  for (const [body, code] of cases) {
    const err = errorOf(() => scan([b(body)]))
    t.equal(err.code, code, JSON.stringify(body).slice(0, 60))
    t.equal(err.httpStatus, 400)
    t.equal(errorOf(() => scan(bytewise(b(body)))).code, code, 'same byte by byte')
  }
  t.equal(errorOf(() => scan([b('5;abcdefg\r\n')], { maxLineBytes: 8 })).code, 'CHAIN_ERR_HTTP_CHUNK_LINE_TOO_LONG', 'custom maxLineBytes')
  t.equal(scan([b('5;abcdef\r\nhello\r\n0\r\n\r\n')], { maxLineBytes: 8 }), 22, 'a line of exactly maxLineBytes is fine')
})

// ---- properties ----

const extArb = fc.array(fc.stringMatching(/^[a-z]{1,5}(=[a-z0-9]{1,5})?$/), { maxLength: 3 }).map(e => e.map(x => ';' + x).join(''))
const chunkArb = fc.record({ data: fc.uint8Array({ minLength: 1, maxLength: 300 }), ext: extArb, upper: fc.boolean(), zeros: fc.nat({ max: 3 }) })
const trailerArb = fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/), fc.stringMatching(/^[ -~]{0,20}$/)), { maxLength: 3 })
const bodyArb = fc.record({ chunks: fc.array(chunkArb, { maxLength: 8 }), lastExt: extArb, trailers: trailerArb }).map(({ chunks, lastExt, trailers }) => {
  const parts: Buffer[] = []
  for (const c of chunks) {
    const hex = c.data.length.toString(16)
    parts.push(b('0'.repeat(c.zeros) + (c.upper ? hex.toUpperCase() : hex) + c.ext + '\r\n'), Buffer.from(c.data), b('\r\n'))
  }
  parts.push(b('0' + lastExt + '\r\n'))
  for (const [name, value] of trailers) parts.push(b(`${name}:${value}\r\n`))
  parts.push(b('\r\n'))
  return Buffer.concat(parts)
})

/** Split buf at the given fractions. */
function split (buf: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map(c => Math.floor(c * buf.length)))].sort((x, y) => x - y)
  const parts: Buffer[] = []
  let prev = 0
  for (const a of at) { parts.push(buf.subarray(prev, a)); prev = a }
  parts.push(buf.subarray(prev))
  return parts
}

t.test('property: random valid bodies under random splits end exactly at the right byte', async t => {
  const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { maxLength: 20 })
  fc.assert(fc.property(bodyArb, fc.uint8Array({ maxLength: 50 }), cutsArb, (body, tail, cuts) => {
    const all = Buffer.concat([body, tail])
    return scan(split(all, cuts)) === body.length && scan(bytewise(body)) === body.length
  }), { interruptAfterTimeLimit: FC_TIME, numRuns: 1000 })
  t.pass('property held')
})

t.test('property: random bytes give only coded errors or a scanner state', async t => {
  const noise = fc.tuple(fc.constantFrom('', '5\r\n', '0\r\n', '1;', 'a\r\n0123456789'), fc.uint8Array({ maxLength: 200 }))
    .map(([start, rest]) => Buffer.concat([b(start), rest]))
  fc.assert(fc.property(noise, fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { maxLength: 5 }), (buf, cuts) => {
    try {
      const end = scan(split(buf, cuts), { maxLineBytes: 64 })
      return end <= buf.length
    } catch (err) {
      const e = err as { code?: unknown, httpStatus?: unknown }
      if (typeof e.code === 'string' && e.code.startsWith('CHAIN_ERR_HTTP_') && e.httpStatus === 400) return true
      throw err
    }
  }), { interruptAfterTimeLimit: FC_TIME, numRuns: 20000 })
  t.pass('property held')
})
