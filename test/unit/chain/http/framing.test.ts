import t from 'tap'
import { requestFraming, responseFraming, wantsKeepAlive } from '../../../../src/chain/http/framing.ts'
import type { HeaderPair, RequestHead, ResponseHead } from '../../../../src/chain/http/types.ts'

const req = (headers: HeaderPair[], version: 10 | 11 = 11, method = 'POST'): RequestHead =>
  ({ method, target: '/', version, headers: [['Host', 'a'], ...headers], bytes: 0 })
const res = (status: number, headers: HeaderPair[], version: 10 | 11 = 11): ResponseHead =>
  ({ version, status, reason: '', headers, bytes: 0 })

function errorOf (fn: () => unknown): { code?: string, httpStatus?: number } {
  try { fn() } catch (err) { return err as { code?: string, httpStatus?: number } }
  return {}
}

t.test('request framing: valid', async t => {
  const cases: Array<[HeaderPair[], 10 | 11, unknown]> = [
    [[], 11, { kind: 'none' }],
    [[], 10, { kind: 'none' }],
    [[['Content-Length', '0']], 11, { kind: 'length', length: 0 }],
    [[['content-length', '42']], 10, { kind: 'length', length: 42 }],
    [[['Content-Length', '7'], ['Content-Length', '7']], 11, { kind: 'length', length: 7 }],
    [[['Content-Length', '7, 7']], 11, { kind: 'length', length: 7 }],
    [[['Content-Length', '999999999999999']], 11, { kind: 'length', length: 999999999999999 }],
    [[['Transfer-Encoding', 'chunked']], 11, { kind: 'chunked' }],
    [[['Transfer-Encoding', 'gzip, CHUNKED']], 11, { kind: 'chunked' }],
    [[['Transfer-Encoding', 'gzip'], ['transfer-encoding', 'chunked']], 11, { kind: 'chunked' }],
    [[['Transfer-Encoding', 'chunked,']], 11, { kind: 'chunked' }]
  ]
  for (const [headers, version, want] of cases) t.same(requestFraming(req(headers, version)), want, JSON.stringify(headers))
})

t.test('request framing: smuggling defenses (RFC 9112 §6.3) are 400s', async t => {
  const cases: Array<[HeaderPair[], 10 | 11]> = [
    [[['Transfer-Encoding', 'chunked']], 10], // TE in HTTP/1.0
    [[['Transfer-Encoding', 'gzip']], 11], // final coding not chunked
    [[['Transfer-Encoding', 'chunked, gzip']], 11],
    [[['Transfer-Encoding', 'chunked'], ['Transfer-Encoding', 'gzip']], 11],
    [[['Transfer-Encoding', 'chunked, chunked']], 11],
    [[['Transfer-Encoding', 'xchunked']], 11],
    [[['Transfer-Encoding', '']], 11],
    [[['Transfer-Encoding', 'chunked'], ['Content-Length', '3']], 11], // both
    [[['Content-Length', '3'], ['Transfer-Encoding', 'chunked']], 11],
    [[['Content-Length', '3'], ['Content-Length', '4']], 11], // differing
    [[['Content-Length', '3, 4']], 11],
    [[['Content-Length', '+3']], 11], // non-digit
    [[['Content-Length', '-1']], 11],
    [[['Content-Length', '0x10']], 11],
    [[['Content-Length', '3 3']], 11],
    [[['Content-Length', '']], 11],
    [[['Content-Length', '1e3']], 11],
    [[['Content-Length', '9999999999999999']], 11] // past safe integers
  ]
  for (const [headers, version] of cases) {
    t.match(errorOf(() => requestFraming(req(headers, version))), { code: 'CHAIN_ERR_HTTP_BAD_FRAMING', httpStatus: 400 }, `${JSON.stringify(headers)} HTTP/1.${version - 10}`)
  }
})

t.test('response framing', async t => {
  const cases: Array<[ResponseHead, string, unknown]> = [
    [res(200, [['Content-Length', '5']]), 'GET', { kind: 'length', length: 5 }],
    [res(200, [['Content-Length', '5']]), 'HEAD', { kind: 'none' }],
    [res(200, [['Transfer-Encoding', 'chunked']]), 'HEAD', { kind: 'none' }],
    [res(100, []), 'GET', { kind: 'none' }],
    [res(101, []), 'GET', { kind: 'none' }],
    [res(103, [['Content-Length', '5']]), 'GET', { kind: 'none' }],
    [res(204, [['Content-Length', '5']]), 'GET', { kind: 'none' }],
    [res(304, [['Content-Length', '5']]), 'GET', { kind: 'none' }],
    [res(200, []), 'CONNECT', { kind: 'none' }],
    [res(407, [['Content-Length', '2']]), 'CONNECT', { kind: 'length', length: 2 }],
    [res(200, []), 'GET', { kind: 'until_close' }],
    [res(200, [], 10), 'GET', { kind: 'until_close' }],
    [res(200, [['Transfer-Encoding', 'chunked']]), 'GET', { kind: 'chunked' }],
    [res(200, [['Transfer-Encoding', 'gzip, chunked']]), 'POST', { kind: 'chunked' }],
    [res(200, [['Transfer-Encoding', 'gzip']]), 'GET', { kind: 'until_close' }],
    [res(200, [['Transfer-Encoding', 'chunked']], 10), 'GET', { kind: 'until_close' }],
    [res(200, [['Transfer-Encoding', 'chunked'], ['Content-Length', '5']]), 'GET', { kind: 'chunked' }], // TE overrides CL
    [res(500, [['Content-Length', '0']]), 'GET', { kind: 'length', length: 0 }]
  ]
  for (const [head, method, want] of cases) t.same(responseFraming(head, method), want, `${method} → ${head.status} ${JSON.stringify(head.headers)} 1${head.version}`)
  for (const headers of [[['Content-Length', 'x']], [['Content-Length', '1'], ['Content-Length', '2']], [['Transfer-Encoding', 'chunked, gzip, chunked']]] as HeaderPair[][]) {
    t.match(errorOf(() => responseFraming(res(200, headers), 'GET')), { code: 'CHAIN_ERR_HTTP_BAD_FRAMING', httpStatus: 502 }, JSON.stringify(headers))
  }
})

t.test('wantsKeepAlive', async t => {
  const cases: Array<[10 | 11, HeaderPair[], boolean]> = [
    [11, [], true],
    [10, [], false],
    [11, [['Connection', 'close']], false],
    [11, [['connection', 'Upgrade, CLOSE']], false],
    [11, [['Connection', 'keep-alive']], true],
    [10, [['Connection', 'Keep-Alive']], true],
    [10, [['Connection', 'te, keep-alive']], true],
    [10, [['Connection', 'keep-alive'], ['Connection', 'close']], false],
    [11, [['Connection', 'closed']], true],
    [10, [['Keep-Alive', 'timeout=5']], false]
  ]
  for (const [version, headers, want] of cases) t.equal(wantsKeepAlive(version, headers), want, `1${version} ${JSON.stringify(headers)}`)
})
