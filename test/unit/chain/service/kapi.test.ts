// The kapi action over real sockets: /kapi/<svc>/... proxied to service://<svc> (a real HTTP
// server behind a tcp tunnel), each request of a kept-alive connection to its own service, the
// path kept or stripped, and the coded refusals (bad name 400, service not reachable 502).
import t from 'tap'
import fc from 'fast-check'
import { chain, startChains, type Harness } from '../runtime/harness.ts'
import { RawClient, startServices, type Services } from './helpers.ts'
import type { ProcessSpec, RouteSpec } from '../../../../src/chain/types.ts'
import { serviceOfPath } from '../../../../src/chain/service/kapi.ts'
import { closedPort } from '../../../helpers/free-port.ts'
import { withinTime } from '../../../helpers/within-time.ts'

const kapi = (strip = false, prefix = '/kapi'): ProcessSpec => ({ kind: 'kapi', kapi: { prefix, strip, connectTimeoutMs: 2000, responseTimeoutMs: 5000, idleTimeoutMs: 30_000 } })

async function setup (t: { teardown (fn: () => unknown): void }, process: ProcessSpec, extra: Partial<RouteSpec> = {}): Promise<{ h: Harness, s: Services, c: RawClient }> {
  const s = await startServices(['alpha', 'beta'])
  t.teardown(() => s.close())
  const h = await startChains([chain('node', [
    { id: 'kapi', match: { pathPrefix: ['/kapi/'] }, process, ...extra },
    { id: 'other', process: { kind: 'respond', status: 200, headers: {}, body: 'other' } }
  ])], 'node', { open: s.open })
  t.teardown(() => h.close())
  const c = new RawClient(h.port)
  t.teardown(() => c.close())
  return { h, s, c }
}

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:3180\r\n${extra}\r\n`

t.test('two services on one kept-alive connection, each request routed by its own path', async t => {
  const { h, s, c } = await setup(t, kapi())
  const a = await c.request(get('/kapi/alpha/rest?q=1', 'X-Zonegate-User: mallory\r\n'))
  t.equal(a.status, 200)
  t.same(JSON.parse(a.body), { svc: 'alpha', url: '/kapi/alpha/rest?q=1', user: null }, 'path unchanged; a forged user header never arrives')
  const b = await c.request(get('/kapi/beta'))
  t.same(JSON.parse(b.body), { svc: 'beta', url: '/kapi/beta', user: null })
  const a2 = await c.request(get('/kapi/alpha/again'))
  t.same(JSON.parse(a2.body), { svc: 'alpha', url: '/kapi/alpha/again', user: null })
  const o = await c.request(get('/elsewhere'))
  t.equal(o.body, 'other', 'a request outside /kapi/ on the same connection takes its own route')
  t.notOk(c.closed, 'one client connection carried all of them')
  t.same(s.opened, ['service://alpha', 'service://beta'], 'alpha\'s second request reused the pooled service connection')
  t.match(h.entries.slice(0, 3), [{ route: 'kapi', upstream: 'service://alpha', status: 200 }, { route: 'kapi', upstream: 'service://beta' }, { upstream: 'service://alpha' }])
  t.match(h.entries[0].target, /^tcp:\/\/127\.0\.0\.1:\d+/, 'the access log names the instance service://alpha reached')
})

t.test('strip: the service gets the path below /kapi/<svc>; response filters still apply', async t => {
  const { s, c } = await setup(t, kapi(true), { postRespFilter: [{ kind: 'set_header', headers: { 'x-via': 'kapi' } }] })
  const a = await c.request(get('/kapi/alpha/rest/x?q=a%20b'))
  t.equal(JSON.parse(a.body).url, '/rest/x?q=a%20b')
  t.equal(a.headers['x-via'], 'kapi')
  const b = await c.request(get('/kapi/beta?only=query'))
  t.equal(JSON.parse(b.body).url, '/?only=query')
  t.same(s.seen.map(x => x.svc), ['alpha', 'beta'])
})

t.test('a path that names no valid service: 400, coded, and the connection stays usable', async t => {
  const { h, s, c } = await setup(t, kapi())
  for (const path of ['/kapi/', '/kapi/Alpha/x', '/kapi/-alpha', '/kapi/al%70ha', `/kapi/${'a'.repeat(64)}`, '/kapi/a.b/c', '/kapi//alpha']) {
    const r = await c.request(get(path))
    t.equal(r.status, 400, path)
    t.equal(r.headers['x-zonegate-error'], 'CHAIN_ERR_KAPI_BAD_SERVICE', path)
  }
  t.notOk(c.closed)
  t.equal(s.opened.length, 0, 'no service was opened')
  t.match(h.entries[0], { route: 'kapi', status: 400, error: 'CHAIN_ERR_KAPI_BAD_SERVICE' })
  t.equal(JSON.parse((await c.request(get('/kapi/alpha'))).body).svc, 'alpha', 'and a good request after them works')
})

t.test('a service that cannot be opened: the engine\'s coded 502', async t => {
  const { h, s, c } = await setup(t, kapi())
  s.alias('gone', `tcp://127.0.0.1:${await closedPort()}`)
  for (const path of ['/kapi/nosuch/x', '/kapi/gone/x']) {
    const r = await c.request(get(path))
    t.equal(r.status, 502, path)
    t.equal(r.headers['x-zonegate-error'], 'CHAIN_ERR_HTTP_UPSTREAM_UNREACHABLE', path)
  }
  t.match(h.entries, [{ upstream: undefined, error: 'CHAIN_ERR_HTTP_UPSTREAM_UNREACHABLE' }, { error: 'CHAIN_ERR_HTTP_UPSTREAM_UNREACHABLE' }])
  t.equal(JSON.parse((await c.request(get('/kapi/beta'))).body).svc, 'beta', 'the connection goes on')
})

t.test('a custom prefix', async t => {
  const { c } = await setup(t, kapi(true, '/api/v1'), { match: { pathPrefix: ['/api/v1/'] } })
  t.equal(JSON.parse((await c.request(get('/api/v1/alpha/x'))).body).url, '/x')
  t.equal((await c.request(get('/api/v1x/alpha/x'))).body, 'other')
})

t.test('serviceOfPath', async t => {
  t.equal(serviceOfPath('/kapi/a_b-1/x', '/kapi'), 'a_b-1')
  t.equal(serviceOfPath('/kapi/a', '/kapi'), 'a')
  t.equal(serviceOfPath('/kapix/a', '/kapi'), undefined)
  t.equal(serviceOfPath('/kapi', '/kapi'), undefined)
  t.equal(serviceOfPath('/kapi/', '/kapi'), undefined)
  t.equal(serviceOfPath(`/kapi/${'a'.repeat(63)}`, '/kapi'), 'a'.repeat(63))
})

t.test('property: any path below /kapi/ on one kept-alive connection ends in a service or a coded 400/502', { timeout: 60_000 }, async t => {
  const { c } = await setup(t, kapi(true))
  const svc = fc.oneof(fc.constantFrom('alpha', 'beta', 'nosuch', 'Alpha', '', '-'), fc.stringMatching(/^[a-z0-9_.%-]{0,70}$/))
  // No "#": a fragment is not part of what an origin gets.
  const rest = fc.oneof(fc.constant(''), fc.stringMatching(/^\/[\x21\x22\x24-\x7e]{0,40}$/))
  await fc.assert(fc.asyncProperty(svc, rest, withinTime(5000, async (s, r) => {
    const res = await c.request(get(`/kapi/${s}${r}`))
    if (res.status === 200) {
      const body = JSON.parse(res.body) as { svc: string, url: string }
      return body.svc === s && (r === '' ? body.url === '/' : body.url.startsWith(r.split('?')[0]))
    }
    return (res.status === 400 && res.headers['x-zonegate-error'] === 'CHAIN_ERR_KAPI_BAD_SERVICE') ||
      (res.status === 502 && res.headers['x-zonegate-error'] === 'CHAIN_ERR_HTTP_UPSTREAM_UNREACHABLE')
  })), { numRuns: 300 })
  t.notOk(c.closed, 'the one connection survived every request')
})
