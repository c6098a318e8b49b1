// The shared JSON-RPC-over-HTTP plumbing with an area's own error classes: bounded bodies, the
// envelope, the wire error. The handlers' own tests (sysconfig, verify-hub) cover it end to end.
import t from 'tap'
import fc from 'fast-check'
import http, { type IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { createError } from '../../../src/core/errors.ts'
import { readJsonObject, replyJson, rpcEnvelope, rpcErrorOf, type RpcBodyErrors } from '../../../src/core/json-rpc-http.ts'
import { withinTime } from '../../helpers/within-time.ts'

const TEST_ERR_TOO_LARGE = createError<[number]>('TEST_ERR_TOO_LARGE', 'over %d bytes')
const TEST_ERR_BAD_JSON = createError<[string]>('TEST_ERR_BAD_JSON', 'not a JSON object: %s')
const TEST_ERR_INTERNAL = createError<[string]>('TEST_ERR_INTERNAL', 'internal (%s)')
const ERRORS: RpcBodyErrors = { BodyTooLarge: TEST_ERR_TOO_LARGE, BadJson: TEST_ERR_BAD_JSON }

/** An IncomingMessage stand-in: the body in the given chunks, no content-length. */
function request (chunks: Buffer[], headers: Record<string, string> = {}): IncomingMessage {
  return Object.assign(Readable.from(chunks, { objectMode: false }), { headers }) as unknown as IncomingMessage
}

/** POST `body` to a real server that answers with what readJsonObject made of it. */
async function roundTrip (t: { teardown (fn: () => void): void }, body: string, max: number, errors = ERRORS): Promise<{ status: number, json: any, headers: Headers }> {
  const server = http.createServer((req, res) => {
    readJsonObject(req, max, errors).then(
      value => replyJson(res, 200, { value }),
      err => replyJson(res, 400, { code: err.code, message: err.message }, { connection: 'close' }))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { method: 'POST', body })
  return { status: res.status, json: await res.json(), headers: res.headers }
}

t.test('a bounded JSON object is read; the answer is JSON, uncached', async t => {
  const r = await roundTrip(t, '{"method":"m","params":{"a":1},"sys":[7]}', 1024)
  t.equal(r.status, 200)
  t.same(r.json, { value: { method: 'm', params: { a: 1 }, sys: [7] } })
  t.equal(r.headers.get('content-type'), 'application/json')
  t.equal(r.headers.get('cache-control'), 'no-store')
})

t.test('too large (declared or streamed), not JSON, not an object: the area\'s coded errors', async t => {
  t.match((await roundTrip(t, '{"a":"' + 'x'.repeat(100) + '"}', 64)).json, { code: 'TEST_ERR_TOO_LARGE', message: 'over 64 bytes' })
  await t.rejects(readJsonObject(request([Buffer.alloc(40, 0x20), Buffer.alloc(40, 0x20)]), 64, ERRORS), { code: 'TEST_ERR_TOO_LARGE' }, 'no content-length: counted as it streams')
  await t.rejects(readJsonObject(request([], { 'content-length': '65' }), 64, ERRORS), { code: 'TEST_ERR_TOO_LARGE' }, 'refused before reading')
  for (const [body, detail] of [['null', 'got null'], ['[1]', 'got an array'], ['"x"', 'got string'], ['12', 'got number']]) {
    const r = await roundTrip(t, body, 64)
    t.same(r.json, { code: 'TEST_ERR_BAD_JSON', message: `not a JSON object: ${detail}` }, body)
  }
  const bad = await readJsonObject(request([Buffer.from('{')]), 64, ERRORS).catch(err => err)
  t.equal(bad.code, 'TEST_ERR_BAD_JSON')
  t.type(bad.cause, SyntaxError, 'the parser error is the cause')
})

t.test('maxDetailChars cuts the parser\'s message (it quotes the input)', async t => {
  const junk = Buffer.from('x'.repeat(500))
  const whole = await readJsonObject(request([junk]), 1024, ERRORS).catch(err => err)
  const cut = await readJsonObject(request([junk]), 1024, { ...ERRORS, maxDetailChars: 10 }).catch(err => err)
  t.equal(cut.message, 'not a JSON object: ' + (whole.cause as Error).message.slice(0, 10))
})

t.test('random bytes in random chunks give an object or a coded error, never more than max buffered', async t => {
  const max = 64
  await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 48 }), { maxLength: 4 }), withinTime(4000, async parts => {
    const total = parts.reduce((n, p) => n + p.length, 0)
    try {
      const value = await readJsonObject(request(parts.map(p => Buffer.from(p))), max, ERRORS)
      return total <= max && value !== null && typeof value === 'object' && !Array.isArray(value)
    } catch (err) {
      const code = (err as { code?: string }).code
      return code === 'TEST_ERR_BAD_JSON' || (code === 'TEST_ERR_TOO_LARGE' && total > max)
    }
  })), { numRuns: 2000 })
  t.pass('property held')
})

t.test('the envelope: seq echoed when it is an integer, sys valid only as [seq] or [seq, x]', async t => {
  t.same(rpcEnvelope({ method: 'm', params: 1, sys: [3] }), { method: 'm', params: 1, seq: 3, sys: [3] })
  t.same(rpcEnvelope({ sys: [3, 'token'] }), { method: undefined, params: undefined, seq: 3, sys: [3, 'token'] })
  t.same(rpcEnvelope({ sys: [3, 'a', 'b'] }), { method: undefined, params: undefined, seq: 3 }, 'too long: seq still echoed')
  for (const sys of [undefined, [], ['1'], [1.5], [2 ** 53], {}, 'x', null]) {
    const env = rpcEnvelope({ sys })
    t.equal(env.sys, undefined, JSON.stringify(sys) ?? 'undefined')
    t.equal(env.seq, null)
  }
})

t.test('errors on the wire: the area\'s own as they are, anything else as its internal error', async t => {
  const withStatus = Object.assign(new TEST_ERR_TOO_LARGE(9), { httpStatus: 413 })
  t.same(rpcErrorOf(withStatus, 'TEST_ERR_', TEST_ERR_INTERNAL), { coded: true, error: { code: 'TEST_ERR_TOO_LARGE', message: 'over 9 bytes' }, status: 413 })
  t.same(rpcErrorOf(new TEST_ERR_BAD_JSON('x'), 'TEST_ERR_', TEST_ERR_INTERNAL), { coded: true, error: { code: 'TEST_ERR_BAD_JSON', message: 'not a JSON object: x' }, status: 200 })
  const foreign = Object.assign(new Error('secret detail'), { code: 'OTHER_ERR_X', httpStatus: 500 })
  t.same(rpcErrorOf(foreign, 'TEST_ERR_', TEST_ERR_INTERNAL), { coded: false, error: { code: 'TEST_ERR_INTERNAL', message: 'internal (OTHER_ERR_X)' }, status: 200 })
  t.same(rpcErrorOf(new RangeError('boom'), 'TEST_ERR_', TEST_ERR_INTERNAL).error, { code: 'TEST_ERR_INTERNAL', message: 'internal (RangeError)' })
})
