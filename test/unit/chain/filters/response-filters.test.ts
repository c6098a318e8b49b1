import t from 'tap'
import { compileResponseFilters } from '../../../../src/chain/filters/response-filters.ts'
import type { ResponseHead } from '../../../../src/chain/http/types.ts'
import type { ConnFacts, HttpRequestFacts, ResponseFilterSpec } from '../../../../src/chain/types.ts'

const req: HttpRequestFacts = { method: 'GET', target: '/p?q=1', path: '/p', query: 'q=1', host: 'example.com', version: 11, headers: [['x-req', 'r1']] }
const conn: ConnFacts = { stack: 's', localPort: 443, source: { address: '127.0.0.1', port: 1 }, terminated: { sni: 'example.com' } }
const mk = (status = 200, headers: Array<[string, string]> = [['Content-Type', 'text/html'], ['Server', 'up'], ['Set-Cookie', 'a=1'], ['set-cookie', 'b=2']]): ResponseHead =>
  ({ version: 11, status, reason: 'Whatever', headers: headers.map(([k, v]) => [k, v]), bytes: 0 })
const run = (specs: ResponseFilterSpec[], head = mk()): ResponseHead => { compileResponseFilters(specs)(head, req, conn); return head }

t.test('set_header replaces every same-name header; values are templates', async t => {
  const h = run([{ kind: 'set_header', headers: { 'set-cookie': 'c=3', 'X-From': '{scheme}://{host}{uri}' } }])
  t.same(h.headers, [['Content-Type', 'text/html'], ['Server', 'up'], ['set-cookie', 'c=3'], ['X-From', 'https://example.com/p?q=1']])
})

t.test('add_header appends', async t => {
  const h = run([{ kind: 'add_header', headers: { 'Set-Cookie': 'c=3', 'x-echo': '{header.x-req}' } }])
  t.same(h.headers.slice(-3), [['set-cookie', 'b=2'], ['Set-Cookie', 'c=3'], ['x-echo', 'r1']])
})

t.test('remove_header removes all, case-insensitively', async t => {
  const h = run([{ kind: 'remove_header', names: ['SET-COOKIE', 'server', 'x-absent'] }])
  t.same(h.headers, [['Content-Type', 'text/html']])
})

t.test('reverse order: the first declared runs last and wins', async t => {
  const h = run([
    { kind: 'set_header', headers: { 'x-a': 'first' } },
    { kind: 'set_header', headers: { 'x-a': 'second' } }
  ])
  t.same(h.headers.filter(([k]) => k === 'x-a'), [['x-a', 'first']])

  const removeLast = run([
    { kind: 'remove_header', names: ['x-b'] },
    { kind: 'set_header', headers: { 'x-b': 'set' } }
  ])
  t.notOk(removeLast.headers.some(([k]) => k === 'x-b'), 'set runs first, then the earlier remove takes it away')

  const setLast = run([
    { kind: 'set_header', headers: { server: 'zonegate' } },
    { kind: 'remove_header', names: ['server'] }
  ])
  t.same(setLast.headers.filter(([k]) => k.toLowerCase() === 'server'), [['server', 'zonegate']], 'remove runs first, then set')

  const addThenSet = run([
    { kind: 'set_header', headers: { 'x-c': 'only' } },
    { kind: 'add_header', headers: { 'x-c': 'added' } }
  ])
  t.same(addThenSet.headers.filter(([k]) => k === 'x-c'), [['x-c', 'only']], 'set (run last) replaces what add put there')

  const order: string[] = []
  const h2 = mk()
  compileResponseFilters([
    { kind: 'add_header', headers: { 'x-o': '1' } },
    { kind: 'add_header', headers: { 'x-o': '2' } },
    { kind: 'add_header', headers: { 'x-o': '3' } }
  ])(h2, req, conn)
  for (const [k, v] of h2.headers) if (k === 'x-o') order.push(v)
  t.same(order, ['3', '2', '1'])
})

t.test('rewrite_status', async t => {
  const any = run([{ kind: 'rewrite_status', to: 503 }], mk(200))
  t.equal(any.status, 503)
  t.equal(any.reason, 'Service Unavailable', 'reason follows the status')
  const only = compileResponseFilters([{ kind: 'rewrite_status', from: 404, to: 200 }])
  const hit = mk(404); only(hit, req, conn)
  t.equal(hit.status, 200); t.equal(hit.reason, 'OK')
  const miss = mk(500); only(miss, req, conn)
  t.equal(miss.status, 500); t.equal(miss.reason, 'Whatever', 'other statuses untouched')
  for (const fixed of [101, 204, 304]) {
    const h = run([{ kind: 'rewrite_status', to: 200 }], mk(fixed))
    t.equal(h.status, fixed, `${fixed} keeps its status (framing)`)
  }
  const unusual = run([{ kind: 'rewrite_status', to: 299 }], mk(200))
  t.equal(unusual.status, 299); t.equal(unusual.reason, '', 'unknown status: empty reason')
  const chained = run([{ kind: 'rewrite_status', from: 201, to: 202 }, { kind: 'rewrite_status', from: 200, to: 201 }], mk(200))
  t.equal(chained.status, 202, 'the last declared runs first')
})

t.test('config errors', async t => {
  const bad: Array<[ResponseFilterSpec, string]> = [
    [{ kind: 'set_header', headers: { 'content-length': '1' } }, 'CHAIN_ERR_BAD_HEADER'],
    [{ kind: 'add_header', headers: { 'Transfer-Encoding': 'chunked' } }, 'CHAIN_ERR_BAD_HEADER'],
    [{ kind: 'remove_header', names: ['connection'] }, 'CHAIN_ERR_BAD_HEADER'],
    [{ kind: 'set_header', headers: { 'a:b': 'x' } }, 'CHAIN_ERR_BAD_HEADER'],
    [{ kind: 'set_header', headers: { 'x-a': '{nope}' } }, 'CHAIN_ERR_TEMPLATE_UNKNOWN_VAR'],
    [{ kind: 'add_header', headers: { 'x-a': '{oops' } }, 'CHAIN_ERR_BAD_TEMPLATE'],
    [{ kind: 'rewrite_status', to: 204 }, 'CHAIN_ERR_BAD_STATUS'],
    [{ kind: 'rewrite_status', to: 304 }, 'CHAIN_ERR_BAD_STATUS'],
    [{ kind: 'rewrite_status', to: 600 }, 'CHAIN_ERR_BAD_STATUS'],
    [{ kind: 'rewrite_status', to: 100 }, 'CHAIN_ERR_BAD_STATUS'],
    [{ kind: 'rewrite_status', from: 304, to: 200 }, 'CHAIN_ERR_BAD_STATUS']
  ]
  for (const [spec, code] of bad) t.throws(() => compileResponseFilters([spec]), { code }, JSON.stringify(spec))
  const none = mk()
  compileResponseFilters([])(none, req, conn)
  t.same(none, mk(), 'no filters: untouched')
})
