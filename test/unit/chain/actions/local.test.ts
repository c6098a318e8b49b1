import t from 'tap'
import { createLocalAction } from '../../../../src/chain/actions/local.ts'
import type { ConnFacts, HttpRequestFacts, LocalResponse } from '../../../../src/chain/types.ts'

const conn: ConnFacts = { stack: 's', localPort: 80, source: { address: '127.0.0.1', port: 4000 } }
function request (method: string, target: string, headers: Array<[string, string]> = []): HttpRequestFacts {
  const q = target.indexOf('?')
  return {
    method,
    target,
    path: q < 0 ? target : target.slice(0, q),
    query: q < 0 ? '' : target.slice(q + 1),
    host: 'example.com',
    version: 11,
    headers: [['host', 'example.com'], ...headers]
  }
}
const get = (target: string): HttpRequestFacts => request('GET', target)
const head = (res: LocalResponse, name: string): string[] => res.headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v)
const text = (res: LocalResponse): string => (res.body as Buffer).toString()

t.test('respond', async t => {
  const ok = createLocalAction({ kind: 'respond', status: 200, headers: { 'X-Host': '{host}', 'Cache-Control': 'no-store' }, body: 'hello {host}\n' })
  const res = await ok(get('/x'), conn)
  t.equal(res.status, 200)
  t.same(head(res, 'x-host'), ['example.com'], 'header values are templates')
  t.same(head(res, 'cache-control'), ['no-store'])
  t.same(head(res, 'content-type'), ['text/plain; charset=utf-8'], 'default type with a body')
  t.same(head(res, 'content-length'), ['13'])
  t.equal(text(res), 'hello {host}\n', 'the body is literal text')
  t.equal(res.length, 13)

  const h = await ok(request('HEAD', '/x'), conn)
  t.equal(h.body, undefined, 'HEAD: no body')
  t.same(head(h, 'content-length'), ['13'], 'HEAD: the length of the GET body')

  const json = createLocalAction({ kind: 'respond', status: 418, headers: { 'content-type': 'application/json' }, body: '{"a":1}' })
  const j = await json(get('/'), conn)
  t.equal(j.status, 418)
  t.same(head(j, 'content-type'), ['application/json'], 'a given type is kept, no default added')

  const empty = await createLocalAction({ kind: 'respond', status: 204, headers: {}, body: '' })(get('/'), conn)
  t.same(empty, { status: 204, headers: [] }, '204: no body, no type, no length')
  const emptyOk = await createLocalAction({ kind: 'respond', status: 200, headers: {}, body: '' })(get('/'), conn)
  t.equal(emptyOk.body, undefined)
  t.same(head(emptyOk, 'content-length'), ['0'])
  t.same(head(emptyOk, 'content-type'), [])
})

t.test('respond: config errors', async t => {
  const bad: Array<[object, string]> = [
    [{ status: 99 }, 'CHAIN_ERR_BAD_STATUS'],
    [{ status: 600 }, 'CHAIN_ERR_BAD_STATUS'],
    [{ status: 101 }, 'CHAIN_ERR_BAD_STATUS'],
    [{ status: 200.5 }, 'CHAIN_ERR_BAD_STATUS'],
    [{ status: 204, body: 'x' }, 'CHAIN_ERR_BAD_STATUS'],
    [{ headers: { 'content-length': '5' } }, 'CHAIN_ERR_BAD_HEADER'],
    [{ headers: { 'Transfer-Encoding': 'chunked' } }, 'CHAIN_ERR_BAD_HEADER'],
    [{ headers: { 'bad name': 'x' } }, 'CHAIN_ERR_BAD_HEADER'],
    [{ headers: { 'x-a': '{nope}' } }, 'CHAIN_ERR_TEMPLATE_UNKNOWN_VAR']
  ]
  for (const [over, code] of bad) {
    t.throws(() => createLocalAction({ kind: 'respond', status: 200, headers: {}, body: '', ...over }), { code }, JSON.stringify(over))
  }
})

t.test('redirect', async t => {
  for (const status of [301, 302, 303, 307, 308] as const) {
    const r = createLocalAction({ kind: 'redirect', to: 'https://{host}{uri}', status })
    const res = await r(get('/a/b?x=1'), conn)
    t.equal(res.status, status)
    t.same(head(res, 'location'), ['https://example.com/a/b?x=1'])
  }
  const r = createLocalAction({ kind: 'redirect', to: '/login?next="{path}"&<x>', status: 302 })
  const res = await r(get('/p'), conn)
  t.same(head(res, 'content-type'), ['text/html; charset=utf-8'])
  t.match(text(res), /<a href="\/login\?next=&#34;\/p&#34;&#38;&#60;x&#62;">/, 'the link is HTML-escaped')
  t.same(head(res, 'content-length'), [String(text(res).length)])
  const h = await r(request('HEAD', '/p'), conn)
  t.equal(h.body, undefined)
  t.same(head(h, 'location'), ['/login?next="/p"&<x>'])
  t.throws(() => createLocalAction({ kind: 'redirect', to: '/', status: 200 as 301 }), { code: 'CHAIN_ERR_BAD_STATUS' })
  t.throws(() => createLocalAction({ kind: 'redirect', to: '{bad}', status: 301 }), { code: 'CHAIN_ERR_TEMPLATE_UNKNOWN_VAR' })
})

t.test('reject', async t => {
  const res = await createLocalAction({ kind: 'reject', status: 403 })(get('/'), conn)
  t.equal(res.status, 403)
  t.equal(text(res), '403 Forbidden\n')
  t.same(head(res, 'content-type'), ['text/plain; charset=utf-8'])
  const dflt = await createLocalAction({ kind: 'reject' } as { kind: 'reject', status: number })(get('/'), conn)
  t.equal(dflt.status, 403, 'default 403')
  const gone = await createLocalAction({ kind: 'reject', status: 451 })(request('HEAD', '/'), conn)
  t.equal(gone.status, 451)
  t.equal(gone.body, undefined)
  t.same(head(gone, 'content-length'), [String('451 Unavailable For Legal Reasons\n'.length)])
  t.throws(() => createLocalAction({ kind: 'reject', status: 200 }), { code: 'CHAIN_ERR_BAD_STATUS' })
})
