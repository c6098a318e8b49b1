// decodeSnAnswer reads untrusted bytes from the network: examples, then properties.
import t from 'tap'
import fc from 'fast-check'
import { decodeSnAnswer, printable } from '../../../src/zone/sn-http.ts'

const ORIGIN = 'https://sn.test'
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

function outcome (status: number, body: Uint8Array): unknown {
  try {
    return decodeSnAnswer(ORIGIN, status, body)
  } catch (err) {
    return err
  }
}

t.test('2xx answers: a JSON object, or {} for an empty body', async t => {
  t.same(decodeSnAnswer(ORIGIN, 200, bytes('{"zone":"a.sn.test"}')), { zone: 'a.sn.test' })
  t.same(decodeSnAnswer(ORIGIN, 204, bytes('')), {})
  t.throws(() => decodeSnAnswer(ORIGIN, 200, bytes('null')), { code: 'ZONE_ERR_BAD_RESPONSE' })
  t.throws(() => decodeSnAnswer(ORIGIN, 201, bytes('"text"')), { code: 'ZONE_ERR_BAD_RESPONSE' })
  t.throws(() => decodeSnAnswer(ORIGIN, 200, bytes('{')), { code: 'ZONE_ERR_BAD_RESPONSE' })
})

t.test('error answers carry the SN code and message, or HTTP_<status>', async t => {
  t.throws(() => decodeSnAnswer(ORIGIN, 409, bytes('{"error":{"code":"SN_ERR_ZONE_TAKEN","message":"taken"}}')),
    { code: 'ZONE_ERR_SN', status: 409, snCode: 'SN_ERR_ZONE_TAKEN', snMessage: 'taken', message: 'the SN answered 409 SN_ERR_ZONE_TAKEN: taken' })
  t.throws(() => decodeSnAnswer(ORIGIN, 500, bytes('{"error":{"code":"lower case","message":"x"}}')), { code: 'ZONE_ERR_SN', snCode: 'HTTP_500' })
  t.throws(() => decodeSnAnswer(ORIGIN, 404, bytes('')), { code: 'ZONE_ERR_SN', snCode: 'HTTP_404', snMessage: 'no error details' })
  t.throws(() => decodeSnAnswer(ORIGIN, 301, bytes('moved')), { code: 'ZONE_ERR_SN', snCode: 'HTTP_301', snMessage: 'moved' })
  const long = decodeSnAnswerError(400, JSON.stringify({ error: { code: 'SN_ERR_X', message: 'm'.repeat(5000) + '\n\u001b[2J' } }))
  t.ok(long.snMessage.length <= 300, 'messages are bounded')
})

function decodeSnAnswerError (status: number, text: string): { snMessage: string } {
  return outcome(status, bytes(text)) as { snMessage: string }
}

t.test('printable drops control and bidi characters', async t => {
  t.equal(printable('a\u0000b\u001b[31mc\u202ed\n'), 'a b [31mc d')
})

t.test('random bytes with any status give an object or a coded error, never anything else', async t => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 999 }), fc.uint8Array({ maxLength: 512 }), (status, body) => {
    const r = outcome(status, body)
    if (r instanceof Error) {
      const code = (r as { code?: string }).code
      return code === 'ZONE_ERR_SN' ? !(status >= 200 && status < 300) : code === 'ZONE_ERR_BAD_RESPONSE'
    }
    return status >= 200 && status < 300 && r !== null && typeof r === 'object' && !Array.isArray(r)
  }), { interruptAfterTimeLimit: 4000, numRuns: 20_000 })
})

t.test('random JSON error bodies give ZONE_ERR_SN with a printable, bounded message', async t => {
  fc.assert(fc.property(fc.integer({ min: 300, max: 599 }), fc.json(), (status, json) => {
    const r = outcome(status, bytes(json)) as { code?: string, snCode?: string, snMessage?: string }
    return r.code === 'ZONE_ERR_SN' && /^[A-Z][A-Z0-9_]*$/.test(r.snCode ?? '') &&
      typeof r.snMessage === 'string' && r.snMessage.length <= 300 && !/[\u0000-\u001f]/.test(r.snMessage)
  }), { interruptAfterTimeLimit: 4000, numRuns: 5000 })
})
