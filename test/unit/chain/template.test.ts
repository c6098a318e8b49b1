import t from 'tap'
import fc from 'fast-check'
import { compileTemplate } from '../../../src/chain/template.ts'
import type { ConnFacts, HttpRequestFacts } from '../../../src/chain/types.ts'

const req: HttpRequestFacts = {
  method: 'GET',
  target: '/a/b%20c/d?x=1&y=2',
  path: '/a/b%20c/d',
  query: 'x=1&y=2',
  host: 'app.example.com',
  version: 11,
  headers: [['host', 'app.example.com'], ['user-agent', 'curl/8'], ['accept', 'a'], ['accept', 'b']]
}
const conn: ConnFacts = { stack: 's', localPort: 443, source: { address: '192.0.2.7', port: 5555 }, tls: { sni: 'app.example.com', alpn: [] } }

t.test('every variable expands', async t => {
  const table: Array<[string, string]> = [
    ['{host}', 'app.example.com'],
    ['{path}', '/a/b%20c/d'],
    ['{query}', 'x=1&y=2'],
    ['{uri}', '/a/b%20c/d?x=1&y=2'],
    ['{method}', 'GET'],
    ['{scheme}', 'https'],
    ['{client_ip}', '192.0.2.7'],
    ['{sni}', 'app.example.com'],
    ['{path.1}', 'a'],
    ['{path.2}', 'b%20c'], // raw: percent-encoding kept
    ['{path.3}', 'd'],
    ['{path.4}', ''],
    ['{header.user-agent}', 'curl/8'],
    ['{header.User-Agent}', 'curl/8'], // names are case-insensitive
    ['{header.accept}', 'a, b'], // repeated headers joined
    ['{header.x-missing}', ''],
    ['https://{host}{uri}', 'https://app.example.com/a/b%20c/d?x=1&y=2'],
    ['', ''],
    ['plain text', 'plain text'],
    ['{{literal}}', '{literal}'],
    ['{{{host}}}', '{app.example.com}'],
    ['a}}b{{c', 'a}b{c']
  ]
  for (const [text, want] of table) t.equal(compileTemplate(text).expand(req, conn), want, text)
})

t.test('facts that change the answer', async t => {
  const noQuery = { ...req, query: '', path: '/p', host: undefined }
  t.equal(compileTemplate('{uri}').expand(noQuery, conn), '/p', 'uri without query has no "?"')
  t.equal(compileTemplate('{host}').expand(noQuery, conn), '', 'absent host is empty')
  const plain: ConnFacts = { stack: 's', localPort: 80, source: { address: '::1', port: 1 } }
  t.equal(compileTemplate('{scheme}').expand(req, plain), 'http')
  t.equal(compileTemplate('{sni}').expand(req, plain), '')
  const term: ConnFacts = { ...plain, terminated: { sni: 'inner.example' } }
  t.equal(compileTemplate('{scheme}').expand(req, term), 'https')
  t.equal(compileTemplate('{sni}').expand(req, term), 'inner.example')
})

t.test('vars lists variables in order', async t => {
  t.same(compileTemplate('{scheme}://{host}/{path.2}?h={header.x-a}').vars, ['scheme', 'host', 'path.2', 'header.x-a'])
  t.same(compileTemplate('{{x}}').vars, [])
})

t.test('bad templates are coded errors', async t => {
  const table: Array<[string, string]> = [
    ['{nope}', 'CHAIN_ERR_TEMPLATE_UNKNOWN_VAR'],
    ['{Host}', 'CHAIN_ERR_TEMPLATE_UNKNOWN_VAR'],
    ['{ host }', 'CHAIN_ERR_TEMPLATE_UNKNOWN_VAR'],
    ['{path.0}', 'CHAIN_ERR_TEMPLATE_UNKNOWN_VAR'],
    ['{path.x}', 'CHAIN_ERR_TEMPLATE_UNKNOWN_VAR'],
    ['{header.}', 'CHAIN_ERR_BAD_TEMPLATE'],
    ['{header.a b}', 'CHAIN_ERR_BAD_TEMPLATE'],
    ['{host', 'CHAIN_ERR_BAD_TEMPLATE'],
    ['host}', 'CHAIN_ERR_BAD_TEMPLATE'],
    ['{}', 'CHAIN_ERR_BAD_TEMPLATE'],
    ['{a{host}', 'CHAIN_ERR_BAD_TEMPLATE'],
    ['{', 'CHAIN_ERR_BAD_TEMPLATE'],
    ['}', 'CHAIN_ERR_BAD_TEMPLATE'],
    ['a\r\nSet-Cookie: x', 'CHAIN_ERR_BAD_TEMPLATE'],
    ['a\0', 'CHAIN_ERR_BAD_TEMPLATE']
  ]
  for (const [text, code] of table) t.throws(() => compileTemplate(text), { code }, JSON.stringify(text))
  try { compileTemplate('{nope}') } catch (err) { t.match((err as Error).message, /known: host, path/) }
})

t.test('values from the request cannot split a header', async t => {
  const evil = { ...req, headers: [['x-a', 'v\r\nSet-Cookie: s=1'] as const], path: '/a\nb' }
  t.equal(compileTemplate('{header.x-a}|{path}').expand(evil, conn), 'vSet-Cookie: s=1|/ab')
})

t.test('property: any text compiles or throws a coded error; expansion never throws', async t => {
  const pieces = fc.constantFrom('{', '}', '{{', '}}', '{host}', '{path.2}', '{header.x}', '{bad}', 'a', '/', '.', '\n', ' ')
  const text = fc.oneof(fc.string(), fc.array(pieces, { maxLength: 20 }).map(a => a.join('')))
  fc.assert(fc.property(text, fc.string(), (s, value) => {
    let tpl
    try {
      tpl = compileTemplate(s)
    } catch (err) {
      return /^CHAIN_ERR_(BAD_TEMPLATE|TEMPLATE_UNKNOWN_VAR)$/.test((err as { code?: string }).code ?? '')
    }
    const r = { ...req, path: value, headers: [['x', value] as const] }
    const out = tpl.expand(r, conn)
    return typeof out === 'string' && !/[\r\n\0]/.test(out)
  }), { interruptAfterTimeLimit: 4000, numRuns: 5000 })
  t.pass('held')
})
