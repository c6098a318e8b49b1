// src/verify-hub/handler.ts: the HTTP envelope, and random bodies never crash it.
import t from 'tap'
import fc from 'fast-check'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { startHub } from './helpers.ts'
import { withinTime } from '../../helpers/within-time.ts'
import { hostileJson } from '../../helpers/hostile-json.ts'

t.test('envelope errors', async t => {
  const h = await startHub(t)
  const get = await h.post('', { method: 'GET' })
  t.equal(get.status, 405)
  t.same(get.body.error.code, 'VHUB_ERR_HTTP_METHOD')
  t.same(get.body.sys, [null])
  const notJson = await h.post('{nope')
  t.equal(notJson.status, 400)
  t.equal(notJson.body.error.code, 'VHUB_ERR_BAD_JSON')
  t.equal((await h.post('[1]')).body.error.code, 'VHUB_ERR_BAD_JSON')
  t.equal((await h.post('{"method":"verify","params":{"session_token":"x"}}')).body.error.code, 'VHUB_ERR_BAD_ENVELOPE', 'sys is required')
  const unknown = await h.post('{"method":"mint","params":{},"sys":[7]}')
  t.same(unknown.body, { error: { code: 'VHUB_ERR_UNKNOWN_METHOD', message: 'unknown method "mint"' }, sys: [7] })
  t.equal((await h.call('verify', [])).body.error.code, 'VHUB_ERR_BAD_PARAMS')
  t.equal((await h.call('verify', { session_token: 'x', extra: 1 })).body.error.code, 'VHUB_ERR_BAD_PARAMS')
  t.equal((await h.call('login_by_jwt', {})).body.error.code, 'VHUB_ERR_BAD_PARAMS')
  t.equal((await h.call('logout', { refresh_token: null })).body.error.code, 'VHUB_ERR_BAD_PARAMS')
  const big = await h.post(JSON.stringify({ method: 'verify', params: { session_token: 'x'.repeat(70_000) }, sys: [1] }))
  t.equal(big.status, 413)
  t.equal(big.body.error.code, 'VHUB_ERR_BODY_TOO_LARGE')
})

t.test('a body larger than the limit without content-length is cut off, not buffered', async t => {
  const h = await startHub(t)
  const { port } = new URL(h.url)
  const answer = await new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'transfer-encoding': 'chunked' } }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', c => { body += c })
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
    // Keep writing until the server answers; it must answer before we stop.
    const chunk = Buffer.alloc(16 * 1024, 0x20)
    let sent = 0
    const pump = (): void => {
      while (sent < 10 * 1024 * 1024) {
        sent += chunk.length
        if (!req.write(chunk)) { req.once('drain', pump); return }
      }
      req.end()
    }
    req.on('response', () => { sent = Infinity })
    pump()
  })
  t.equal(answer.status, 413)
  t.equal(JSON.parse(answer.body).error.code, 'VHUB_ERR_BODY_TOO_LARGE')
})

t.test('random JSON bodies get coded answers, never a 500 or a crash', async t => {
  const h = await startHub(t, { rateLimit: { burst: 1e9 } })
  const good = await h.loginJwt(h.device)
  const methods = fc.constantFrom('login_by_jwt', 'refresh', 'verify', 'logout', 'nope', '', '__proto__', 'constructor')
  const fields = fc.constantFrom('jwt', 'refresh_token', 'session_token', '__proto__', 'x')
  const values = fc.oneof(hostileJson, fc.constant(good), fc.string(), fc.constant('x'.repeat(43)), fc.base64String())
  const body = fc.oneof(
    fc.jsonValue().map(v => JSON.stringify(v)),
    fc.record({ method: fc.oneof(methods, hostileJson), params: fc.oneof(fc.dictionary(fields, values), hostileJson), sys: fc.oneof(fc.tuple(fc.integer()), hostileJson) }, { requiredKeys: [] }).map(v => JSON.stringify(v)),
    fc.string(),
    fc.uint8Array({ maxLength: 512 }).map(b => Buffer.from(b).toString('latin1'))
  )
  let runs = 0
  await fc.assert(fc.asyncProperty(body, withinTime(4000, async text => {
    runs++
    const r = await h.post(text)
    if (r.status >= 500 || r.body === undefined) return false
    if (r.body.error !== undefined) return /^VHUB_ERR_/.test(r.body.error.code) && r.body.error.code !== 'VHUB_ERR_INTERNAL'
    return r.status === 200 && 'result' in r.body
  })), { numRuns: 20_000 })
  t.ok(runs > 50, `${runs} bodies`)
})

t.test('the handler serves any path (mounted under /kapi/verify_hub or not)', async t => {
  const h = await startHub(t)
  const server = http.createServer(h.hub.handler)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise(resolve => server.close(resolve)))
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/anything/else`, {
    method: 'POST', body: JSON.stringify({ method: 'verify', params: { session_token: 'x' }, sys: [3, 'ignored'] })
  })
  t.same(await res.json(), { result: { valid: false, reason: 'VHUB_ERR_SESSION_INVALID' }, sys: [3] })
})
