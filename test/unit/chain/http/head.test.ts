import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { createServer, request as httpRequest } from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import {
  parseRequestHead, parseResponseHead, serializeRequestHead, serializeResponseHead, requestFacts, headerValue
} from '../../../../src/chain/http/head.ts'
import { requestFraming, responseFraming } from '../../../../src/chain/http/framing.ts'
import { createChunkedScanner } from '../../../../src/chain/http/chunked.ts'
import type { HeaderPair, RequestHead, ResponseHead } from '../../../../src/chain/http/types.ts'

const FC_TIME = 4000
const b = (s: string): Buffer => Buffer.from(s, 'latin1')

function errorOf (fn: () => unknown): { code?: string, httpStatus?: number } {
  try { fn() } catch (err) { return err as { code?: string, httpStatus?: number } }
  return {}
}

function isCoded (err: unknown): boolean {
  const e = err as { code?: unknown, httpStatus?: unknown }
  return typeof e.code === 'string' && e.code.startsWith('CHAIN_ERR_HTTP_') && typeof e.httpStatus === 'number'
}

function request (s: string): RequestHead {
  const r = parseRequestHead(b(s))
  if (r.status !== 'done') throw new Error(`expected a head, got ${r.status}`)
  return r.head
}

function response (s: string): ResponseHead {
  const r = parseResponseHead(b(s))
  if (r.status !== 'done') throw new Error(`expected a head, got ${r.status}`)
  return r.head
}

t.test('valid request heads', async t => {
  const cases: Array<[string, Partial<RequestHead>]> = [
    ['GET / HTTP/1.1\r\nHost: a\r\n\r\n', { method: 'GET', target: '/', version: 11, headers: [['Host', 'a']] }],
    ['GET / HTTP/1.0\r\n\r\n', { method: 'GET', target: '/', version: 10, headers: [] }],
    ['POST /a/b?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 3\r\n\r\n', { method: 'POST', target: '/a/b?x=1&y=%20', headers: [['Host', 'example.com:8080'], ['Content-Length', '3']] }],
    ['GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Ws: \t v a l \t \r\n\r\n', { headers: [['Host', 'a'], ['X-Empty', ''], ['X-Ws', 'v a l']] }],
    ['OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n', { method: 'OPTIONS', target: '*' }],
    ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', { method: 'CONNECT', target: 'example.com:443' }],
    ['GET http://x.test/p HTTP/1.1\r\nHost: x.test\r\n\r\n', { target: 'http://x.test/p' }],
    ['GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n', { headers: [['Host', '[::1]:80']] }],
    ['GET / HTTP/1.1\r\nHost:\r\n\r\n', { headers: [['Host', '']] }],
    ['GET / HTTP/1.1\r\nhOsT: 10.0.0.1\r\n\r\n', { headers: [['hOsT', '10.0.0.1']] }],
    ['M-SEARCH /caf\xe9 HTTP/1.1\r\nHost: a\r\nX: caf\xe9\r\n\r\n', { method: 'M-SEARCH', target: '/caf\xe9', headers: [['Host', 'a'], ['X', 'caf\xe9']] }],
    ['ABCDEFGHIJKLMNOPQRST / HTTP/1.1\r\nHost: a\r\n\r\n', { method: 'ABCDEFGHIJKLMNOPQRST' }]
  ]
  for (const [raw, want] of cases) {
    const head = request(raw + 'BODY')
    t.match(head, want, JSON.stringify(raw))
    t.equal(head.bytes, raw.length, 'bytes counts the head only')
  }
})

t.test('invalid request heads give coded errors with httpStatus', async t => {
  const cases: Array<[string, string, number]> = [
    ['GET / HTTP/1.1\r\nHost : a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400], // whitespace before colon
    ['GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400], // obs-fold
    ['GET / HTTP/1.1\r\n Host: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400], // bare CR
    ['GET / HTTP/1.1\r\nHost: a\r\nX: a\nb\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400], // bare LF
    ['GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400], // NUL
    ['GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400],
    ['GET / HTTP/1.1\r\nHost: a\r\nX(: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400], // non-token name
    ['GET / HTTP/1.1\r\nHost: a\r\n: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400], // empty name
    ['GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400],
    ['GET /a b HTTP/1.1\r\nHost: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400], // space in target
    ['GET /a\x7fb HTTP/1.1\r\nHost: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400],
    ['GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400],
    ['GET  / HTTP/1.1\r\nHost: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400], // empty target
    ['GET / HTTP/1.1 \r\nHost: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400],
    ['GET / http/1.1\r\nHost: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400],
    ['GET / HTTP/1.x\r\nHost: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400],
    ['GET / HTTP/11\r\nHost: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400],
    ['GET /\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400], // HTTP/0.9
    ['GET / HTTP/1.2\r\nHost: a\r\n\r\n', 'CHAIN_ERR_HTTP_VERSION', 505],
    ['GET / HTTP/2.0\r\nHost: a\r\n\r\n', 'CHAIN_ERR_HTTP_VERSION', 505],
    ['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'CHAIN_ERR_HTTP_VERSION', 505],
    ['GET / HTTP/0.9\r\n\r\n', 'CHAIN_ERR_HTTP_VERSION', 505],
    ['GET / HTTP/1.1\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400], // 1.1 without Host
    ['GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400],
    ['GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400],
    ['GET / HTTP/1.1\r\nHost: a b\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400],
    ['GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400],
    ['GET / HTTP/1.1\r\nHost: a@b\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400],
    ['GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400],
    ['GET / HTTP/1.1\r\nHost: a:123456\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400],
    ['GET / HTTP/1.1\r\nHost: :80\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400],
    ['GET / HTTP/1.1\r\nHost: [::1\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400],
    ['GET / HTTP/1.1\r\nHost: [zz]\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400],
    ['GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HOST', 400],
    ['GET / HTTP/1.1\nHost: a\n\n', 'CHAIN_ERR_HTTP_BAD_HEAD', 400] // LF-only lines fail at once, not at the limit
  ]
  for (const [raw, code, status] of cases) {
    const err = errorOf(() => parseRequestHead(b(raw)))
    t.equal(err.code, code, JSON.stringify(raw))
    t.equal(err.httpStatus, status, `${JSON.stringify(raw)} → ${status}`)
  }
})

t.test('not_http is decided from the first bytes', async t => {
  const notHttp = [
    '\x16\x03\x01\x02\x00\x01', // TLS record
    '\x16',
    '\r\nGET / HTTP/1.1\r\n',
    ' GET / HTTP/1.1\r\n',
    'GET\t/ HTTP/1.1\r\n',
    'GET/ HTTP/1.1',
    'ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\n', // 21-char method
    'ABCDEFGHIJKLMNOPQRSTU', // known already before the SP
    'SSH-2.0-OpenSSH_9.6\r\n',
    '\x00\x00\x00'
  ]
  for (const raw of notHttp) t.same(parseRequestHead(b(raw)), { status: 'not_http' }, JSON.stringify(raw))
  for (const raw of ['', 'G', 'GET', 'ABCDEFGHIJKLMNOPQRST', 'GET ', 'GET /', 'GET / HTTP/1.1\r\nHost: a\r\n\r']) {
    t.same(parseRequestHead(b(raw)), { status: 'need_more' }, JSON.stringify(raw))
  }
})

t.test('limits: too large fails at once, without waiting for the end', async t => {
  const start = 'GET / HTTP/1.1\r\nHost: a\r\nX: '
  let err = errorOf(() => parseRequestHead(b(start + 'a'.repeat(16 * 1024))))
  t.match(err, { code: 'CHAIN_ERR_HTTP_HEAD_TOO_LARGE', httpStatus: 431 }, 'unterminated head past 16 KiB')
  err = errorOf(() => parseRequestHead(b(start + 'a'.repeat(200)), { maxBytes: 100 }))
  t.match(err, { code: 'CHAIN_ERR_HTTP_HEAD_TOO_LARGE', httpStatus: 431 }, 'custom maxBytes')
  const exact = start + 'aa\r\n\r\n'
  t.equal(parseRequestHead(b(exact), { maxBytes: exact.length }).status, 'done', 'a head of exactly maxBytes is fine')
  err = errorOf(() => parseRequestHead(b(exact), { maxBytes: exact.length - 1 }))
  t.match(err, { code: 'CHAIN_ERR_HTTP_HEAD_TOO_LARGE' }, 'one byte over')
  t.equal(parseRequestHead(b(exact + 'x'.repeat(100)), { maxBytes: exact.length }).status, 'done', 'body bytes after the head do not count')

  const many = (n: number): string => 'GET / HTTP/1.1\r\nHost: a\r\n' + 'X: y\r\n'.repeat(n - 1)
  t.equal(parseRequestHead(b(many(100) + '\r\n')).status, 'done', '100 headers are fine')
  err = errorOf(() => parseRequestHead(b(many(101) + '\r\n')))
  t.match(err, { code: 'CHAIN_ERR_HTTP_HEAD_TOO_LARGE', httpStatus: 431 }, '101 headers')
  t.equal(parseRequestHead(b(many(100))).status, 'need_more', '100 header lines so far, not ended')
  err = errorOf(() => parseRequestHead(b(many(101))))
  t.match(err, { code: 'CHAIN_ERR_HTTP_HEAD_TOO_LARGE' }, '101 header lines so far, not ended')
  err = errorOf(() => parseRequestHead(b(many(5)), { maxHeaders: 3 }))
  t.match(err, { code: 'CHAIN_ERR_HTTP_HEAD_TOO_LARGE' }, 'custom maxHeaders')
  err = errorOf(() => parseResponseHead(b('HTTP/1.1 200 OK\r\nX: ' + 'a'.repeat(20000))))
  t.match(err, { code: 'CHAIN_ERR_HTTP_HEAD_TOO_LARGE', httpStatus: 502 }, 'responses too')
})

t.test('byte-at-a-time feeding: need_more on every prefix, then done', async t => {
  const raw = b('POST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello')
  const headLen = raw.indexOf('\r\n\r\n') + 4
  for (let n = 0; n < headLen; n++) {
    const r = parseRequestHead(raw.subarray(0, n))
    if (r.status !== 'need_more') { t.fail(`prefix ${n} gave ${r.status}`); return }
  }
  for (let n = headLen; n <= raw.length; n++) {
    const r = parseRequestHead(raw.subarray(0, n))
    t.equal(r.status === 'done' && r.head.bytes, headLen)
  }
  const res = b('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
  for (let n = 0; n < res.length; n++) t.equal(parseResponseHead(res.subarray(0, n)).status, 'need_more')
  t.equal(parseResponseHead(res).status, 'done')
})

t.test('valid and invalid response heads', async t => {
  t.match(response('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'), { version: 11, status: 200, reason: 'OK', headers: [['Content-Length', '2']], bytes: 38 })
  t.match(response('HTTP/1.0 404 Not  Found \r\n\r\n'), { version: 10, status: 404, reason: 'Not  Found ' })
  t.match(response('HTTP/1.1 204\r\n\r\n'), { status: 204, reason: '' })
  t.match(response('HTTP/1.1 204 \r\n\r\n'), { status: 204, reason: '' })
  t.match(response('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), { status: 101 })
  const bad: Array<[string, string]> = [
    ['XTTP/1.1 200 OK\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD'],
    ['\x16\x03', 'CHAIN_ERR_HTTP_BAD_HEAD'], // fails at once, never not_http
    ['H', ''], // need_more
    ['HTTP/1.1 20 OK\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD'],
    ['HTTP/1.1 2000 OK\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD'],
    ['HTTP/1.1 099 OK\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD'],
    ['HTTP/1.1  200 OK\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD'],
    ['HTTP/1.1 200 O\x00K\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD'],
    ['HTTP/1.1 200 OK\r\nA : b\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD'],
    ['HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n', 'CHAIN_ERR_HTTP_BAD_HEAD'],
    ['HTTP/1.1 200 OK\nA: b\n\n', 'CHAIN_ERR_HTTP_BAD_HEAD'],
    ['HTTP/2.0 200 OK\r\n\r\n', 'CHAIN_ERR_HTTP_VERSION'],
    ['HTTP/1.1 200 OK\r\nHost: a\r\nHost: b\r\n\r\n', ''] // Host rules are for requests
  ]
  for (const [raw, code] of bad) {
    const err = errorOf(() => parseResponseHead(b(raw)))
    if (code === '') { t.notOk(err.code, JSON.stringify(raw)); continue }
    t.equal(err.code, code, JSON.stringify(raw))
    t.equal(err.httpStatus, 502, 'a bad upstream response is a 502')
  }
})

t.test('serialize then parse round-trips', async t => {
  const req = { method: 'PUT', target: '/x?y=%41', version: 11 as const, headers: [['Host', 'h:1'], ['X-Caf\xe9'.slice(0, 5), 'caf\xe9 \tok']] as HeaderPair[] }
  const bytes = serializeRequestHead(req)
  t.equal(bytes.toString('latin1'), 'PUT /x?y=%41 HTTP/1.1\r\nHost: h:1\r\nX-Caf: caf\xe9 \tok\r\n\r\n')
  t.same(request(bytes.toString('latin1')), { ...req, bytes: bytes.length })
  const res = { version: 10 as const, status: 302, reason: 'Found', headers: [['Location', '/a']] as HeaderPair[] }
  const rb = serializeResponseHead(res)
  t.same(response(rb.toString('latin1')), { ...res, bytes: rb.length })
  t.same(response(serializeResponseHead({ ...res, reason: '' }).toString('latin1')).reason, '')
})

t.test('serialize refuses what would not parse back (header injection)', async t => {
  const base = { method: 'GET', target: '/', version: 11 as const, headers: [] as HeaderPair[] }
  const bad = [
    { ...base, method: 'G T' }, { ...base, method: '' }, { ...base, target: '/a b' }, { ...base, target: '/a\r\nX: y' },
    { ...base, target: '' }, { ...base, headers: [['X', 'a\r\nInjected: 1']] as HeaderPair[] },
    { ...base, headers: [['X Y', 'a']] as HeaderPair[] }, { ...base, headers: [['X', 'a\u0100']] as HeaderPair[] },
    { ...base, headers: [['X', 'a\x00']] as HeaderPair[] }
  ]
  for (const head of bad) {
    t.match(errorOf(() => serializeRequestHead(head)), { code: 'CHAIN_ERR_HTTP_INVALID_HEADER', httpStatus: 500 }, JSON.stringify(head))
  }
  const res = { version: 11 as const, status: 200, reason: 'OK', headers: [] as HeaderPair[] }
  t.match(errorOf(() => serializeResponseHead({ ...res, reason: 'O\r\nK' })), { code: 'CHAIN_ERR_HTTP_INVALID_HEADER' })
  t.match(errorOf(() => serializeResponseHead({ ...res, status: 99 })), { code: 'CHAIN_ERR_HTTP_INVALID_HEADER' })
})

t.test('requestFacts', async t => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['GET /a/b?x=1&y=%2F HTTP/1.1\r\nHost: Example.COM:8080\r\n\r\n', { path: '/a/b', query: 'x=1&y=%2F', host: 'example.com' }],
    ['GET /a%20b HTTP/1.1\r\nHost: x\r\n\r\n', { path: '/a%20b', query: '' }],
    ['GET /? HTTP/1.1\r\nHost: x\r\n\r\n', { path: '/', query: '' }],
    ['GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n', { host: '[::1]' }],
    ['GET / HTTP/1.1\r\nHost: [2001:DB8::1]\r\n\r\n', { host: '[2001:db8::1]' }],
    ['GET / HTTP/1.1\r\nHost: 10.1.2.3:443\r\n\r\n', { host: '10.1.2.3' }],
    ['GET http://Abs.Example:81 HTTP/1.1\r\nHost: other\r\n\r\n', { host: 'abs.example', path: '/', query: '' }],
    ['GET http://u:p@abs.example/x/y?q=1 HTTP/1.1\r\nHost: other\r\n\r\n', { host: 'abs.example', path: '/x/y', query: 'q=1' }],
    ['GET https://abs.example?q HTTP/1.1\r\nHost: abs.example\r\n\r\n', { path: '/', query: 'q' }],
    ['GET http://[::1]:8080/p HTTP/1.1\r\nHost: x\r\n\r\n', { host: '[::1]', path: '/p' }],
    ['OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', { path: '*', query: '', host: 'x' }],
    ['CONNECT Tunnel.Example:443 HTTP/1.1\r\nHost: tunnel.example:443\r\n\r\n', { path: '', host: 'tunnel.example' }],
    ['GET / HTTP/1.1\r\nHost:\r\n\r\n', { host: undefined }],
    ['GET / HTTP/1.0\r\n\r\n', { host: undefined, version: 10 }]
  ]
  for (const [raw, want] of cases) {
    const head = request(raw)
    const facts = requestFacts(head)
    t.match(facts, { method: head.method, target: head.target, version: head.version }, raw)
    for (const [k, v] of Object.entries(want)) t.equal((facts as unknown as Record<string, unknown>)[k], v, `${JSON.stringify(raw)} ${k}`)
  }
  const facts = requestFacts(request('GET / HTTP/1.1\r\nHost: a\r\nX-Mixed-Case: Value\r\nACCEPT: */*\r\n\r\n'))
  t.same(facts.headers, [['host', 'a'], ['x-mixed-case', 'Value'], ['accept', '*/*']], 'names lower-cased, values kept')
})

t.test('headerValue: first match, case-insensitive', async t => {
  const h: HeaderPair[] = [['X-A', '1'], ['x-a', '2'], ['Content-Type', 'text/plain']]
  t.equal(headerValue(h, 'x-a'), '1')
  t.equal(headerValue(h, 'content-type'), 'text/plain')
  t.equal(headerValue(h, 'nope'), undefined)
})

// ---- properties ----

const latin1 = (codes: number[]): string => String.fromCharCode(...codes)
const tokenArb = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/)
const fieldByte = fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }))
const valueArb = fc.oneof(
  fc.constant(''),
  fc.tuple(fieldByte, fc.array(fc.oneof(fieldByte, fc.constantFrom(0x20, 0x09)), { maxLength: 30 }), fieldByte)
    .map(([a, mid, z]) => latin1([a, ...mid, z])),
  fc.array(fieldByte, { minLength: 1, maxLength: 1 }).map(latin1)
)
const targetArb = fc.array(fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })), { maxLength: 40 })
  .map(codes => '/' + latin1(codes))
const hostArb = fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6().map(a => `[${a}]`)).chain(h => fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }).map(p => p === undefined ? h : `${h}:${p}`))
const headersArb = fc.array(fc.tuple(tokenArb.filter(n => n.toLowerCase() !== 'host'), valueArb), { maxLength: 30 })
const requestArb = fc.record({ method: tokenArb, target: targetArb, version: fc.constantFrom<10 | 11>(10, 11), headers: headersArb, host: hostArb, hostAt: fc.nat() })
  .map(({ method, target, version, headers, host, hostAt }) => {
    const all = headers.map(h => [h[0], h[1]] as HeaderPair)
    all.splice(hostAt % (all.length + 1), 0, ['Host', host])
    return { method, target, version, headers: all }
  })

t.test('property: random valid request heads round-trip', async t => {
  fc.assert(fc.property(requestArb, head => {
    const bytes = serializeRequestHead(head)
    const r = parseRequestHead(Buffer.concat([bytes, b('trailing body')]))
    return r.status === 'done' && isDeepStrictEqual(r.head, { ...head, bytes: bytes.length }) && serializeRequestHead(r.head).equals(bytes)
  }), { interruptAfterTimeLimit: FC_TIME, numRuns: 2000 })
  t.pass('property held')
})

t.test('property: random valid response heads round-trip', async t => {
  const arb = fc.record({ version: fc.constantFrom<10 | 11>(10, 11), status: fc.integer({ min: 100, max: 999 }), reason: valueArb, headers: headersArb })
  fc.assert(fc.property(arb, head => {
    const bytes = serializeResponseHead(head)
    const r = parseResponseHead(bytes)
    return r.status === 'done' && r.head.bytes === bytes.length && serializeResponseHead(r.head).equals(bytes) &&
      r.head.status === head.status && r.head.reason === head.reason
  }), { interruptAfterTimeLimit: FC_TIME, numRuns: 2000 })
  t.pass('property held')
})

t.test('property: every prefix of a valid head is need_more', async t => {
  fc.assert(fc.property(requestArb, head => {
    const bytes = serializeRequestHead(head)
    for (let n = 0; n < bytes.length; n++) {
      if (parseRequestHead(bytes.subarray(0, n)).status !== 'need_more') return false
    }
    return true
  }), { interruptAfterTimeLimit: FC_TIME, numRuns: 300 })
  t.pass('property held')
})

/** Random bytes, or random bytes after a plausible start so the parser gets past the first checks. */
const noiseArb = fc.tuple(
  fc.constantFrom('', 'GET ', 'GET / HTTP/1.1\r\n', 'GET / HTTP/1.1\r\nHost: a\r\n', 'HTTP/1.1 200 OK\r\n', 'HTTP/'),
  fc.uint8Array({ maxLength: 300 }),
  fc.boolean()
).map(([start, noise, end]) => Buffer.concat([b(start), noise, end ? b('\r\n\r\n') : Buffer.alloc(0)]))

t.test('property: random bytes give only need_more, not_http, a head, or a coded error', async t => {
  fc.assert(fc.property(noiseArb, buf => {
    for (const parse of [parseRequestHead, parseResponseHead]) {
      try {
        const r = parse(buf, { maxBytes: 256, maxHeaders: 8 })
        if (r.status === 'need_more' && buf.length >= 256) return false // never buffer past the limit
        if (r.status === 'not_http' && parse === parseResponseHead) return false
        if (r.status === 'done') {
          if (r.head.bytes > 256 || r.head.headers.length > 8) return false
          if (parse === parseRequestHead) requestFacts(r.head as RequestHead) // must not throw
        }
      } catch (err) {
        if (!isCoded(err)) throw err
      }
    }
    return true
  }), { interruptAfterTimeLimit: FC_TIME, numRuns: 20000 })
  t.pass('property held')
})

// ---- against an independent implementation: bytes node:http (llhttp's sibling writer) sends ----

t.test('heads written by node:http parse, and their bodies frame right', async t => {
  // Client side: a raw server captures what http.request sends (chunked body, no length).
  const raw = net.createServer()
  raw.listen(0, '127.0.0.1')
  await once(raw, 'listening')
  t.teardown(() => raw.close())
  const captured = new Promise<Buffer>(resolve => {
    raw.once('connection', sock => {
      let buf = Buffer.alloc(0)
      sock.on('data', chunk => {
        buf = Buffer.concat([buf, chunk])
        if (buf.includes('0\r\n\r\n')) { sock.destroy(); resolve(buf) }
      })
    })
  })
  const req = httpRequest({ host: '127.0.0.1', port: (raw.address() as { port: number }).port, method: 'POST', path: '/up?x=1', headers: { 'X-Test': 'a b' } })
  req.on('error', () => {})
  req.write('hello ')
  req.end('world')
  const bytes = await captured
  const r = parseRequestHead(bytes)
  if (r.status !== 'done') throw new Error(r.status)
  t.match(requestFacts(r.head), { method: 'POST', path: '/up', query: 'x=1', host: '127.0.0.1' })
  t.same(requestFraming(r.head), { kind: 'chunked' })
  t.same(createChunkedScanner().push(bytes.subarray(r.head.bytes)), { consumed: bytes.length - r.head.bytes, done: true })

  // Server side: what an http server answers, read over a raw socket.
  const server = createServer((_req, res) => { res.setHeader('X-Reply', 'yes'); res.end('fine') })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const sock = net.connect((server.address() as { port: number }).port, '127.0.0.1')
  sock.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  const chunks: Buffer[] = []
  for await (const c of sock) chunks.push(c as Buffer)
  const answer = Buffer.concat(chunks)
  const s = parseResponseHead(answer)
  if (s.status !== 'done') throw new Error(s.status)
  t.match(s.head, { version: 11, status: 200, reason: 'OK' })
  t.equal(headerValue(s.head.headers, 'x-reply'), 'yes')
  t.same(responseFraming(s.head, 'GET'), { kind: 'length', length: 4 })
  t.equal(answer.subarray(s.head.bytes).toString(), 'fine')
})
