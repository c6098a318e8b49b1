// Head edits: path rewrite, hop-by-hop removal and the client's response head.
import t from 'tap'
import { clientResponseHead, endToEnd, isUpgrade, rewritePath, upstreamRequestHead } from '../../../../../src/chain/http/proxy/rewrite.ts'
import { parseRequestHead, requestFacts } from '../../../../../src/chain/http/head.ts'
import type { RequestHead } from '../../../../../src/chain/http/types.ts'
import { proxySpec } from './helpers.ts'

function head (s: string): RequestHead {
  const r = parseRequestHead(Buffer.from(s, 'latin1'))
  if (r.status !== 'done') throw new Error('test head incomplete')
  return r.head
}

t.test('rewritePath', async t => {
  t.equal(rewritePath('/api/x', { stripPrefix: '/api' }), '/x')
  t.equal(rewritePath('/api', { stripPrefix: '/api' }), '/')
  t.equal(rewritePath('/apix', { stripPrefix: '/api' }), '/apix', 'not at a segment boundary')
  t.equal(rewritePath('/api/x', { stripPrefix: '/api/' }), '/x')
  t.equal(rewritePath('/x', { addPrefix: '/v1/' }), '/v1/x')
  t.equal(rewritePath('/a/b', { regex: '^/a/(.*)$', replace: '/z/$1' }), '/z/b')
})

t.test('endToEnd drops hop-by-hop fields and those Connection lists', async t => {
  const h: Array<[string, string]> = [['Host', 'a'], ['Connection', 'X-A, Upgrade'], ['X-A', '1'], ['Upgrade', 'websocket'], ['TE', 'trailers'], ['Keep-Alive', '1'], ['Transfer-Encoding', 'chunked']]
  t.same(endToEnd(h, false).map(p => p[0]), ['Host', 'Transfer-Encoding'])
  t.same(endToEnd(h, true).map(p => p[0]), ['Host', 'Upgrade', 'Transfer-Encoding'])
})

t.test('isUpgrade needs both Upgrade and the Connection token', async t => {
  t.ok(isUpgrade(head('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n')))
  t.notOk(isUpgrade(head('GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n')))
  t.notOk(isUpgrade(head('GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n')))
})

t.test('upstreamRequestHead: origin-form, Host, X-Forwarded-*', async t => {
  const h = head('GET http://Example.com:81/p?q HTTP/1.1\r\nHost: example.com:81\r\nX-Forwarded-Proto: evil\r\n\r\n')
  const out = upstreamRequestHead({ head: h, facts: requestFacts(h), conn: { stack: 's', localPort: 1, source: { address: '::1', port: 2 } }, spec: proxySpec('tcp://u:1'), upgrade: false, upstreamHost: 'u:1' })
  t.equal(out.target, '/p?q')
  t.same(out.headers, [['Host', 'example.com:81'], ['X-Forwarded-For', '::1'], ['X-Forwarded-Proto', 'http'], ['X-Forwarded-Host', 'example.com:81']])
})

t.test('clientResponseHead: Connection for the client, Content-Length dropped under Transfer-Encoding', async t => {
  const up = { version: 11 as const, status: 200, reason: 'OK', bytes: 0, headers: [['Transfer-Encoding', 'chunked'], ['Content-Length', '5'], ['Connection', 'keep-alive'], ['Keep-Alive', 'timeout=5']] as Array<[string, string]> }
  t.same(clientResponseHead(up, true, 11).headers, [['Transfer-Encoding', 'chunked']])
  t.same(clientResponseHead(up, false, 11).headers, [['Transfer-Encoding', 'chunked'], ['Connection', 'close']])
  t.same(clientResponseHead(up, true, 10).headers, [['Transfer-Encoding', 'chunked'], ['Connection', 'keep-alive']])
})
