import t from 'tap'
import fc from 'fast-check'
import {
  encodeRequest, decodeRequest, encodeResult, decodeResult, MAX_TARGET_BYTES, MAX_MESSAGE_BYTES,
  PURPOSES, RESULT_CODES, type Purpose, type ResultCode
} from '../../../src/rtcp/open-header.ts'

const purposes = Object.keys(PURPOSES) as Purpose[]
const codes = Object.keys(RESULT_CODES) as ResultCode[]

t.test('request round trip keeps the bytes after the header', async t => {
  const wire = Buffer.concat([encodeRequest({ purpose: 'stream', target: ':8080' }), Buffer.from('GET / HTTP/1.1\r\n')])
  const r = decodeRequest(wire)
  if (r === 'need_more') throw new Error('expected a header')
  t.same(r.value, { purpose: 'stream', target: ':8080' })
  t.equal(r.rest.toString(), 'GET / HTTP/1.1\r\n')
})

t.test('every prefix of a header asks for more', async t => {
  const wire = encodeRequest({ purpose: 'stream', target: 'rtcp://ood2/:80' })
  for (let i = 0; i < wire.length; i++) t.equal(decodeRequest(wire.subarray(0, i)), 'need_more', `prefix ${i}`)
})

t.test('bad headers give coded errors', async t => {
  t.throws(() => decodeRequest(Buffer.from([2, 1, 0, 0])), { code: 'RTCP_ERR_BAD_HEADER' }, 'version')
  t.throws(() => decodeRequest(Buffer.from([1, 99, 0, 0])), { code: 'RTCP_ERR_BAD_HEADER' }, 'purpose')
  t.throws(() => decodeResult(Buffer.from([1, 99, 0, 0])), { code: 'RTCP_ERR_BAD_HEADER' }, 'result code')
  const big = Buffer.from([1, 1, 0xff, 0xff])
  t.throws(() => decodeRequest(big), { code: 'RTCP_ERR_HEADER_TOO_LARGE' }, 'declared length over the limit is refused before the bytes arrive')
  t.throws(() => decodeRequest(Buffer.from([1, 1, 0, 2, 0xc3, 0x28])), { code: 'RTCP_ERR_BAD_HEADER' }, 'invalid UTF-8')
  t.throws(() => encodeRequest({ purpose: 'stream', target: 'x'.repeat(MAX_TARGET_BYTES + 1) }), { code: 'RTCP_ERR_HEADER_TOO_LARGE' })
})

t.test('long result messages are cut to the limit and still decode', async t => {
  const wire = encodeResult({ code: 'refused', message: 'é'.repeat(MAX_MESSAGE_BYTES) })
  const r = decodeResult(wire)
  if (r === 'need_more') throw new Error('expected a result')
  t.equal(r.value.code, 'refused')
  t.ok(Buffer.byteLength(r.value.message) <= MAX_MESSAGE_BYTES)
})

t.test('property: decode(encode(x)) = x, for requests and results', async t => {
  fc.assert(fc.property(fc.constantFrom(...purposes), fc.string({ maxLength: 300, unit: 'grapheme' }), fc.uint8Array({ maxLength: 64 }), (purpose, target, tail) => {
    const r = decodeRequest(Buffer.concat([encodeRequest({ purpose, target }), tail]))
    return r !== 'need_more' && r.value.purpose === purpose && r.value.target === target && Buffer.compare(r.rest, Buffer.from(tail)) === 0
  }), { interruptAfterTimeLimit: 3000, numRuns: 2000 })
  fc.assert(fc.property(fc.constantFrom(...codes), fc.string({ maxLength: 200 }), (code, message) => {
    const r = decodeResult(encodeResult({ code, message }))
    return r !== 'need_more' && r.value.code === code && r.value.message === message
  }), { interruptAfterTimeLimit: 2000 })
  t.pass('round trips held')
})

t.test('property: random bytes give a value, need_more, or a coded error; never a crash', async t => {
  for (const decode of [decodeRequest, decodeResult]) {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), bytes => {
      try {
        const r = decode(Buffer.from(bytes))
        return r === 'need_more' || typeof r === 'object'
      } catch (err) {
        return typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code.startsWith('RTCP_ERR_')
      }
    }), { interruptAfterTimeLimit: 3000, numRuns: 5000 })
  }
  t.pass('no crash on random input')
})
