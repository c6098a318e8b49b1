import t from 'tap'
import fc from 'fast-check'
import { compileMatch } from '../../../../src/chain/match/compile-match.ts'
import type { ConnFacts, MatchSpec } from '../../../../src/chain/types.ts'
import { conn, req, tls } from './facts.ts'

type Row = [string, MatchSpec, ConnFacts, boolean]

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function run (t: { equal: (...args: any[]) => unknown }, rows: Row[]): void {
  for (const [name, spec, facts, want] of rows) {
    const m = compileMatch(spec)
    t.equal(m.test(facts), want, name)
    t.equal(m.explain(facts).length, Object.keys(spec).filter(k => k !== 'header').length + Object.keys(spec.header ?? {}).length, `${name}: one explanation per condition`)
  }
}

t.test('empty MatchSpec matches everything', async t => {
  const m = compileMatch({})
  t.equal(m.test(conn()), true)
  t.equal(m.test(conn({ tls: tls('a.test'), http: req() })), true)
  t.same(m.explain(conn()), [])
})

t.test('sni: ClientHello first, then the terminated SNI; "*" matches no SNI', async t => {
  run(t, [
    ['exact', { sni: ['a.test'] }, conn({ tls: tls('a.test') }), true],
    ['other name', { sni: ['a.test'] }, conn({ tls: tls('b.test') }), false],
    ['trailing dot', { sni: ['a.test'] }, conn({ tls: tls('a.test.') }), true],
    ['wildcard', { sni: ['*.test'] }, conn({ tls: tls('x.y.test') }), true],
    ['wildcard not bare', { sni: ['*.a.test'] }, conn({ tls: tls('a.test') }), false],
    ['any of the list', { sni: ['a.test', 'b.test'] }, conn({ tls: tls('b.test') }), true],
    ['no SNI in hello', { sni: ['a.test'] }, conn({ tls: tls() }), false],
    ['no TLS', { sni: ['a.test'] }, conn(), false],
    ['"*" without SNI', { sni: ['*'] }, conn({ tls: tls() }), true],
    ['"*" without TLS', { sni: ['*'] }, conn(), true],
    ['terminated', { sni: ['a.test'] }, conn({ terminated: { sni: 'a.test' } }), true],
    ['hello wins over terminated', { sni: ['a.test'] }, conn({ tls: tls('b.test'), terminated: { sni: 'a.test' } }), false],
    ['hello without SNI falls back to terminated', { sni: ['a.test'] }, conn({ tls: tls(), terminated: { sni: 'a.test' } }), true]
  ])
})

t.test('host: the HTTP request host; fails without an HTTP request', async t => {
  run(t, [
    ['exact', { host: ['a.test'] }, conn({ http: req({ host: 'a.test' }) }), true],
    ['wildcard', { host: ['*.a.test'] }, conn({ http: req({ host: 'www.a.test' }) }), true],
    ['other', { host: ['a.test'] }, conn({ http: req({ host: 'b.test' }) }), false],
    ['no Host header', { host: ['a.test'] }, conn({ http: req() }), false],
    ['"*" without Host header', { host: ['*'] }, conn({ http: req() }), true],
    ['no HTTP', { host: ['*'] }, conn({ tls: tls('a.test') }), false],
    ['IP literal', { host: ['127.0.0.1'] }, conn({ http: req({ host: '127.0.0.1' }) }), true],
    ['IPv6 literal', { host: ['[::1]'] }, conn({ http: req({ host: '[::1]' }) }), true],
    ['sni is not host', { host: ['a.test'] }, conn({ tls: tls('a.test'), http: req({ host: 'b.test' }) }), false]
  ])
})

t.test('alpn: negotiated when terminated, else any offered', async t => {
  run(t, [
    ['offered', { alpn: ['h2'] }, conn({ tls: tls('a', ['h2', 'http/1.1']) }), true],
    ['offered, second', { alpn: ['http/1.1'] }, conn({ tls: tls('a', ['h2', 'http/1.1']) }), true],
    ['not offered', { alpn: ['acme-tls/1'] }, conn({ tls: tls('a', ['h2']) }), false],
    ['none offered', { alpn: ['h2'] }, conn({ tls: tls('a') }), false],
    ['no TLS', { alpn: ['h2'] }, conn(), false],
    ['negotiated wins', { alpn: ['h2'] }, conn({ tls: tls('a', ['h2']), terminated: { alpn: 'http/1.1' } }), false],
    ['negotiated', { alpn: ['http/1.1'] }, conn({ tls: tls('a', ['h2', 'http/1.1']), terminated: { alpn: 'http/1.1' } }), true],
    ['terminated without alpn falls back to offered', { alpn: ['h2'] }, conn({ tls: tls('a', ['h2']), terminated: {} }), true]
  ])
})

t.test('path_prefix and path_regex', async t => {
  run(t, [
    ['prefix exact', { pathPrefix: ['/api'] }, conn({ http: req({ path: '/api' }) }), true],
    ['prefix below', { pathPrefix: ['/api'] }, conn({ http: req({ path: '/api/x' }) }), true],
    ['prefix with query', { pathPrefix: ['/api'] }, conn({ http: req({ path: '/api', query: 'q' }) }), true],
    ['not a segment', { pathPrefix: ['/api'] }, conn({ http: req({ path: '/apix' }) }), false],
    ['slash prefix only below', { pathPrefix: ['/api/'] }, conn({ http: req({ path: '/api' }) }), false],
    ['one of two', { pathPrefix: ['/a', '/b'] }, conn({ http: req({ path: '/b/c' }) }), true],
    ['no HTTP', { pathPrefix: ['/'] }, conn(), false],
    ['regex', { pathRegex: '^/v[0-9]+/' }, conn({ http: req({ path: '/v2/x' }) }), true],
    ['regex miss', { pathRegex: '^/v[0-9]+/' }, conn({ http: req({ path: '/vx/' }) }), false],
    ['regex no HTTP', { pathRegex: '.' }, conn(), false]
  ])
  const m = compileMatch({ pathRegex: 'a' })
  for (let i = 0; i < 3; i++) t.equal(m.test(conn({ http: req({ path: '/a' }) })), true, 'regex stays stateless')
  t.throws(() => compileMatch({ pathRegex: '(' }), { code: 'CHAIN_ERR_BAD_REGEX' })
})

t.test('method and header', async t => {
  const h = (headers: Array<[string, string]>): ConnFacts => conn({ http: req({ headers }) })
  run(t, [
    ['method', { method: ['GET', 'HEAD'] }, conn({ http: req({ method: 'HEAD' }) }), true],
    ['method miss', { method: ['GET'] }, conn({ http: req({ method: 'POST' }) }), false],
    ['method is exact', { method: ['GET'] }, conn({ http: req({ method: 'get' }) }), false],
    ['method no HTTP', { method: ['GET'] }, conn(), false],
    ['equals', { header: { 'x-env': { equals: 'prod' } } }, h([['x-env', 'prod']]), true],
    ['equals is case-sensitive', { header: { 'x-env': { equals: 'prod' } } }, h([['x-env', 'Prod']]), false],
    ['first value counts', { header: { 'x-env': { equals: 'prod' } } }, h([['x-env', 'dev'], ['x-env', 'prod']]), false],
    ['equals empty value', { header: { 'x-env': { equals: '' } } }, h([['x-env', '']]), true],
    ['equals absent', { header: { 'x-env': { equals: 'prod' } } }, h([]), false],
    ['regex', { header: { 'user-agent': { regex: '^curl/' } } }, h([['user-agent', 'curl/8.5']]), true],
    ['regex miss', { header: { 'user-agent': { regex: '^curl/' } } }, h([['user-agent', 'Wget']]), false],
    ['present', { header: { authorization: { present: true } } }, h([['authorization', 'x']]), true],
    ['present miss', { header: { authorization: { present: true } } }, h([]), false],
    ['absent', { header: { authorization: { present: false } } }, h([]), true],
    ['absent miss', { header: { authorization: { present: false } } }, h([['authorization', '']]), false],
    ['two headers, both hold', { header: { a: { equals: '1' }, b: { present: false } } }, h([['a', '1']]), true],
    ['two headers, one fails', { header: { a: { equals: '1' }, b: { present: false } } }, h([['a', '1'], ['b', '2']]), false],
    ['equals and regex', { header: { a: { equals: 'xy', regex: '^x' } } }, h([['a', 'xy']]), true],
    ['header no HTTP', { header: { a: { present: false } } }, conn(), false]
  ])
})

t.test('source, listener, peer, protocol', async t => {
  const from = (address: string): ConnFacts => conn({ source: { address, port: 1 } })
  run(t, [
    ['source v4', { source: ['10.0.0.0/8'] }, from('10.9.8.7'), true],
    ['source v4 miss', { source: ['10.0.0.0/8'] }, from('11.0.0.1'), false],
    ['source mapped', { source: ['10.0.0.0/8'] }, from('::ffff:10.9.8.7'), true],
    ['source v6', { source: ['::1'] }, from('::1'), true],
    ['source v6 range', { source: ['fd00::/8'] }, from('fd12:3456::1'), true],
    ['source v6 miss', { source: ['fd00::/8'] }, from('fe80::1'), false],
    ['listener', { listener: ['web', 'api'] }, conn({ stack: 'api' }), true],
    ['listener miss', { listener: ['web'] }, conn({ stack: 'admin' }), false],
    ['peer', { peer: ['did:dev:abc'] }, conn({ peer: 'did:dev:abc' }), true],
    ['peer miss', { peer: ['did:dev:abc'] }, conn({ peer: 'did:dev:xyz' }), false],
    ['no peer', { peer: ['did:dev:abc'] }, conn(), false],
    ['protocol tls', { protocol: ['tls'] }, conn({ tls: tls('a') }), true],
    ['protocol tls wins over http', { protocol: ['http'] }, conn({ tls: tls('a'), http: req() }), false],
    ['protocol http', { protocol: ['http'] }, conn({ http: req() }), true],
    ['protocol other', { protocol: ['other'] }, conn(), true],
    ['protocol other miss', { protocol: ['other'] }, conn({ http: req() }), false]
  ])
  t.throws(() => compileMatch({ source: ['10.0.0.0/40'] }), { code: 'CHAIN_ERR_BAD_CIDR' })
  t.throws(() => compileMatch({ sni: ['a*.test'] }), { code: 'CHAIN_ERR_BAD_HOST_PATTERN' })
})

t.test('all conditions must hold', async t => {
  const spec: MatchSpec = { sni: ['a.test'], alpn: ['h2'], source: ['127.0.0.0/8'], listener: ['web'] }
  run(t, [
    ['all hold', spec, conn({ tls: tls('a.test', ['h2']) }), true],
    ['alpn fails', spec, conn({ tls: tls('a.test', ['http/1.1']) }), false],
    ['listener fails', spec, conn({ tls: tls('a.test', ['h2']), stack: 'other' }), false]
  ])
})

t.test('explain says why each condition held or failed', async t => {
  const facts = conn({
    tls: tls('www.example.test', ['h2', 'http/1.1']),
    source: { address: '10.1.2.3', port: 1 },
    http: req({ path: '/v1/users', host: 'api.example.test', headers: [['x-env', 'dev']] })
  })
  const cases: Array<[MatchSpec, string[]]> = [
    [{ sni: ['www.example.test'] }, ['sni www.example.test matched']],
    [{ sni: ['*.example.test'] }, ['sni *.example.test matched (www.example.test)']],
    [{ sni: ['a.test', 'b.test'] }, ['sni a.test | b.test ≠ www.example.test']],
    [{ host: ['www.example.test'] }, ['host www.example.test ≠ api.example.test']],
    [{ pathPrefix: ['/v1'] }, ['path_prefix /v1 matched (/v1/users)']],
    [{ pathPrefix: ['/v2'] }, ['path_prefix /v2 ≠ /v1/users']],
    [{ pathRegex: '^/v1/' }, ['path_regex ^/v1/ matched (/v1/users)']],
    [{ method: ['POST'] }, ['method POST ≠ GET']],
    [{ method: ['GET'] }, ['method GET matched']],
    [{ alpn: ['h2'] }, ['alpn h2 matched (h2, http/1.1)']],
    [{ alpn: ['acme-tls/1'] }, ['alpn acme-tls/1 ≠ h2, http/1.1']],
    [{ header: { 'x-env': { equals: 'prod' } } }, ['header x-env = "prod" ≠ "dev"']],
    [{ header: { 'x-env': { regex: '^d' } } }, ['header x-env ~ /^d/ matched']],
    [{ header: { 'x-env': { present: false } } }, ['header x-env absent ≠ "dev"']],
    [{ header: { 'x-other': { present: true } } }, ['header x-other present ≠ (absent)']],
    [{ source: ['10.0.0.0/8'] }, ['source 10.0.0.0/8 matched (10.1.2.3)']],
    [{ source: ['192.168.0.0/16'] }, ['source 192.168.0.0/16 ≠ 10.1.2.3']],
    [{ listener: ['admin'] }, ['listener admin ≠ web']],
    [{ peer: ['did:dev:x'] }, ['peer did:dev:x ≠ (no peer)']],
    [{ protocol: ['http'] }, ['protocol http ≠ tls']],
    [{ sni: ['www.example.test'], pathPrefix: ['/v1'], method: ['PUT'] },
      ['sni www.example.test matched', 'path_prefix /v1 matched (/v1/users)', 'method PUT ≠ GET']]
  ]
  for (const [spec, want] of cases) t.same(compileMatch(spec).explain(facts), want, JSON.stringify(spec))

  const bare = conn()
  t.same(compileMatch({ host: ['a.test'] }).explain(bare), ['host a.test: no HTTP request'])
  t.same(compileMatch({ pathPrefix: ['/a'], method: ['GET'] }).explain(bare), ['path_prefix /a: no HTTP request', 'method GET: no HTTP request'])
  t.same(compileMatch({ sni: ['a.test'] }).explain(bare), ['sni a.test ≠ (no SNI)'])
  t.same(compileMatch({ sni: ['*'] }).explain(bare), ['sni * matched (no SNI)'])
  t.same(compileMatch({ alpn: ['h2'] }).explain(bare), ['alpn h2 ≠ (none offered)'])
  const many = Array.from({ length: 8 }, (_, i) => `n${i}.test`)
  t.same(compileMatch({ sni: many }).explain(bare), ['sni n0.test | n1.test | n2.test | n3.test | n4.test | … (3 more) ≠ (no SNI)'], 'long lists are cut')
})

t.test('property: test agrees with explain and never throws', async t => {
  const name = fc.constantFrom('a.test', 'b.test', 'x.a.test', 'A.TEST', 'a.test.', '::1')
  const pattern = fc.constantFrom('a.test', 'b.test', '*.a.test', '*.test', '*', '[::1]')
  const spec = fc.record({
    sni: fc.array(pattern, { minLength: 1, maxLength: 3 }),
    host: fc.array(pattern, { minLength: 1, maxLength: 3 }),
    alpn: fc.array(fc.constantFrom('h2', 'http/1.1'), { minLength: 1, maxLength: 2 }),
    pathPrefix: fc.array(fc.constantFrom('/', '/a', '/a/', '/b'), { minLength: 1, maxLength: 2 }),
    method: fc.array(fc.constantFrom('GET', 'POST'), { minLength: 1, maxLength: 2 }),
    source: fc.array(fc.constantFrom('10.0.0.0/8', '::1', '127.0.0.1'), { minLength: 1, maxLength: 2 }),
    protocol: fc.array(fc.constantFrom('tls' as const, 'http' as const, 'other' as const), { minLength: 1, maxLength: 2 })
  }, { requiredKeys: [] })
  const facts = fc.record({
    tls: fc.option(fc.record({ sni: fc.option(name, { nil: undefined }), alpn: fc.array(fc.constantFrom('h2', 'http/1.1', 'x')) }), { nil: undefined }),
    http: fc.option(fc.record({ path: fc.constantFrom('/', '/a', '/a/b', '/ab', '/b'), method: fc.constantFrom('GET', 'POST'), host: fc.option(name, { nil: undefined }) }), { nil: undefined }),
    address: fc.constantFrom('10.1.1.1', '::ffff:10.0.0.1', '::1', '127.0.0.1', '8.8.8.8')
  })
  fc.assert(fc.property(spec, facts, (s, f) => {
    const c = conn({
      source: { address: f.address, port: 1 },
      ...(f.tls != null ? { tls: { ...(f.tls.sni !== undefined ? { sni: f.tls.sni } : {}), alpn: f.tls.alpn } } : {}),
      ...(f.http != null ? { http: req({ path: f.http.path, method: f.http.method, ...(f.http.host !== undefined ? { host: f.http.host } : {}) }) } : {})
    })
    const m = compileMatch(s as MatchSpec)
    const lines = m.explain(c)
    const allHeld = lines.every(l => / matched( \(.*\))?$/.test(l))
    return m.test(c) === allHeld
  }), { interruptAfterTimeLimit: 4000, numRuns: 3000 })
  t.pass('consistent')
})
