import t from 'tap'
import fc from 'fast-check'
import { compileTable, findShadowed } from '../../../src/chain/table.ts'
import { coverReason } from '../../../src/chain/match/covers.ts'
import type { ChainSpec, ConnFacts, MatchSpec, RouteSpec } from '../../../src/chain/types.ts'
import { conn, req, tls } from './match/facts.ts'

function route (id: string, match: MatchSpec, line?: number): RouteSpec {
  return { id, match, process: { kind: 'drop' }, postRespFilter: [], ...(line !== undefined ? { pos: { file: 'gw.yaml', line, col: 7 } } : {}) }
}

function chain (routes: RouteSpec[]): ChainSpec {
  return { name: 'main', probe: ['tls', 'http'], probeMaxBytes: 16384, probeTimeoutMs: 5000, trustedProxies: [], routes, postRespFilter: [] }
}

t.test('compiled routes carry chain, index and spec', async t => {
  const spec = chain([route('a', { sni: ['a.test'] }), route('b', {})])
  const table = compileTable(spec)
  t.equal(table.chain, spec)
  t.equal(table.routes.length, 2)
  t.same(table.routes.map(r => [r.chain, r.index, r.spec.id]), [['main', 0, 'a'], ['main', 1, 'b']])
  t.equal(table.routes[0].matches(conn({ tls: tls('a.test') })), true)
  t.equal(table.routes[0].matches(conn()), false)
  t.ok(Object.isFrozen(table.routes[0]), 'routes are immutable')
})

t.test('lookup: first match in file order, across exact, wildcard and unindexed routes', async t => {
  const table = compileTable(chain([
    route('only-h2', { sni: ['a.test'], alpn: ['h2'] }),
    route('by-source', { source: ['10.0.0.0/8'] }),
    route('wild', { sni: ['*.test'] }),
    route('exact', { sni: ['a.test', 'b.test'] }),
    route('api-host', { host: ['api.test'] }),
    route('any-http', { protocol: ['http'] }),
    route('fallback', {})
  ]))
  const id = (f: ConnFacts): string | undefined => table.lookup(f)?.spec.id
  t.equal(id(conn({ tls: tls('a.test', ['h2']) })), 'only-h2')
  t.equal(id(conn({ tls: tls('a.test', ['h2']), source: { address: '10.0.0.1', port: 1 } })), 'only-h2')
  t.equal(id(conn({ tls: tls('b.test'), source: { address: '10.0.0.1', port: 1 } })), 'by-source')
  t.equal(id(conn({ tls: tls('a.test') })), 'wild')
  t.equal(id(conn({ tls: tls('x.y.test.') })), 'wild')
  t.equal(id(conn({ tls: tls('other.example') })), 'fallback')
  t.equal(id(conn({ http: req({ host: 'api.test' }) })), 'api-host')
  t.equal(id(conn({ http: req({ host: 'www.test' }) })), 'any-http')
  t.equal(id(conn({ http: req() })), 'any-http')
  t.equal(id(conn()), 'fallback')
  t.equal(compileTable(chain([route('x', { sni: ['x.test'] })])).lookup(conn()), undefined, 'no match: undefined')
  t.equal(compileTable(chain([])).lookup(conn()), undefined, 'empty chain')
})

t.test('lookup does not test every route for an exact SNI', async t => {
  const routes = Array.from({ length: 1000 }, (_, i) => route(`r${i}`, { sni: [`h${i}.test`] }))
  routes.splice(500, 0, route('wild', { sni: ['*.other'] }), route('any-tls', { protocol: ['tls'], listener: ['admin'] }))
  const table = compileTable(chain(routes))
  // Every route tested reads facts.tls (its sni or protocol condition); count the reads.
  let reads = 0
  const facts = new Proxy(conn({ tls: tls('h777.test') }), {
    get (target, key, receiver) {
      if (key === 'tls') reads++
      return Reflect.get(target, key, receiver)
    }
  })
  t.equal(table.lookup(facts)?.spec.id, 'r777')
  t.ok(reads <= 4, `lookup read facts.tls ${reads} times (a linear scan: over 700)`)
  reads = 0
  t.equal(table.routes.find(r => r.matches(facts))?.spec.id, 'r777')
  t.ok(reads > 700, `the linear scan read it ${reads} times`)
})

t.test('a route listing a name twice, or by exact name and wildcard, is tested once', async t => {
  let seen = 0
  const table = compileTable(chain([route('dup', { sni: ['a.test', 'a.test', '*.test'], listener: ['none'] }), route('next', { sni: ['*.test'] })]))
  t.equal(table.lookup(conn({ tls: tls('a.test') }))?.spec.id, 'next')
  seen = table.explain(conn({ tls: tls('a.test') })).trace.length
  t.equal(seen, 2)
})

t.test('explain: same route as lookup, one trace line per route tried', async t => {
  const table = compileTable(chain([
    route('web', { host: ['www.example.test'] }),
    route('api', { sni: ['api.example.test'], pathPrefix: ['/v1'] }),
    route('rest', {})
  ]))
  const facts = conn({ tls: tls('api.example.test'), http: req({ host: 'api.example.test', path: '/v1' }) })
  const e = table.explain(facts)
  t.equal(e.route, table.lookup(facts))
  t.equal(e.route?.spec.id, 'api')
  t.same(e.trace, [
    'route web: host www.example.test ≠ api.example.test',
    'route api: sni api.example.test matched; path_prefix /v1 matched → taken'
  ])
  const none = compileTable(chain([route('web', { host: ['www.example.test'] }), route('t', { protocol: ['tls'] })])).explain(conn())
  t.equal(none.route, undefined)
  t.same(none.trace, ['route web: host www.example.test: no HTTP request', 'route t: protocol tls ≠ other'])
  t.same(table.explain(conn()).trace.at(-1), 'route rest: no conditions → taken')
})

// ---- lookup ≡ linear scan ----------------------------------------------------------------
const NAMES = ['a.test', 'b.test', 'x.a.test', 'y.x.a.test', 'c.example', '10.0.0.1']
const PATTERNS = [...NAMES, '*.test', '*.a.test', '*.x.a.test', '*.example', '*']
const KEYS = ['sni', 'host', 'alpn', 'pathPrefix', 'method', 'source', 'listener', 'protocol'] as const
const allConditions = fc.record({
  sni: fc.array(fc.constantFrom(...PATTERNS), { minLength: 1, maxLength: 3 }),
  host: fc.array(fc.constantFrom(...PATTERNS), { minLength: 1, maxLength: 3 }),
  alpn: fc.array(fc.constantFrom('h2', 'http/1.1'), { minLength: 1, maxLength: 2 }),
  pathPrefix: fc.array(fc.constantFrom('/', '/a', '/a/', '/b'), { minLength: 1, maxLength: 2 }),
  method: fc.array(fc.constantFrom('GET', 'POST'), { minLength: 1, maxLength: 2 }),
  source: fc.array(fc.constantFrom('10.0.0.0/8', '::1', '127.0.0.0/8'), { minLength: 1, maxLength: 2 }),
  listener: fc.array(fc.constantFrom('web', 'admin'), { minLength: 1, maxLength: 2 }),
  protocol: fc.array(fc.constantFrom('tls' as const, 'http' as const, 'other' as const), { minLength: 1, maxLength: 2 })
})
// Few conditions per route (mostly sni/host), so that random facts match some routes.
const arbMatch: fc.Arbitrary<MatchSpec> = fc.tuple(allConditions, fc.subarray([...KEYS, 'sni', 'host'] as const, { maxLength: 3 }))
  .map(([all, keep]) => Object.fromEntries(keep.map(k => [k, all[k]])) as MatchSpec)
const arbName = fc.option(fc.constantFrom(...NAMES, 'z.y.x.a.test', 'A.TEST', 'a.test.', 'nomatch.org'), { nil: undefined })
const arbFacts: fc.Arbitrary<ConnFacts> = fc.record({
  tls: fc.option(fc.record({ sni: arbName, alpn: fc.array(fc.constantFrom('h2', 'http/1.1')) }), { nil: undefined }),
  term: fc.option(fc.record({ sni: arbName, alpn: fc.option(fc.constantFrom('h2', 'http/1.1'), { nil: undefined }) }), { nil: undefined }),
  http: fc.option(fc.record({ host: arbName, path: fc.constantFrom('/', '/a', '/a/x', '/b', '/ab'), method: fc.constantFrom('GET', 'POST') }), { nil: undefined }),
  address: fc.constantFrom('10.1.2.3', '::ffff:10.0.0.9', '::1', '127.0.0.1', '192.0.2.1'),
  stack: fc.constantFrom('web', 'admin', 'other')
}).map(f => conn({
  stack: f.stack,
  source: { address: f.address, port: 1 },
  ...(f.tls != null ? { tls: { ...(f.tls.sni !== undefined ? { sni: f.tls.sni } : {}), alpn: f.tls.alpn } } : {}),
  ...(f.term != null ? { terminated: { ...(f.term.sni !== undefined ? { sni: f.term.sni } : {}), ...(f.term.alpn !== undefined ? { alpn: f.term.alpn } : {}) } } : {}),
  ...(f.http != null ? { http: req({ path: f.http.path, method: f.http.method, ...(f.http.host !== undefined ? { host: f.http.host } : {}) }) } : {})
}))

t.test('property: lookup and explain pick the same route as a linear scan', async t => {
  let matched = 0
  let total = 0
  fc.assert(fc.property(fc.array(arbMatch, { maxLength: 25 }), fc.array(arbFacts, { minLength: 1, maxLength: 8 }), (matches, factsList) => {
    const table = compileTable(chain(matches.map((m, i) => route(`r${i}`, m))))
    for (const f of factsList) {
      const linear = table.routes.find(r => r.matches(f))
      const got = table.lookup(f)
      total++
      if (linear !== undefined) matched++
      if (got !== linear) return false
      if (table.explain(f).route !== linear) return false
    }
    return true
  }), { interruptAfterTimeLimit: 5000, numRuns: 3000 })
  t.ok(matched > total / 10, `the generator hits routes often enough (${matched}/${total})`)
})

// ---- findShadowed ------------------------------------------------------------------------
t.test('findShadowed: the message names both routes, the line and the reason', async t => {
  const w = findShadowed(chain([route('wild', { sni: ['*.example.com'] }, 12), route('www', { sni: ['www.example.com'] }, 15)]))
  t.same(w, [{
    chain: 'main',
    route: 'www',
    by: 'wild',
    pos: { file: 'gw.yaml', line: 15, col: 7 },
    message: 'route "www" can never match: route "wild" (line 12) is broader and comes first (*.example.com covers www.example.com); move "www" above it'
  }])
})

t.test('findShadowed: positive cases', async t => {
  const cases: Array<[string, MatchSpec, MatchSpec, RegExp]> = [
    ['empty shadows all', {}, { sni: ['a.test'], method: ['GET'] }, /it has no conditions/],
    ['wildcard covers nested wildcard', { sni: ['*.example.com'] }, { sni: ['*.a.example.com'] }, /\*\.example\.com covers \*\.a\.example\.com/],
    ['star covers all', { host: ['*'] }, { host: ['a.test'] }, /host \* takes every HTTP request/],
    ['star host covers any HTTP condition', { host: ['*'] }, { pathPrefix: ['/a'] }, /host \*/],
    ['sni star is no condition', { sni: ['*'] }, { listener: ['web'] }, /it has no conditions/],
    ['same name, fewer conditions', { sni: ['a.test'] }, { sni: ['a.test'], pathPrefix: ['/x'] }, /same sni a\.test/],
    ['every name covered', { sni: ['a.test', '*.b.test'] }, { sni: ['x.b.test', 'a.test'] }, /\*\.b\.test covers x\.b\.test, same sni a\.test/],
    ['path prefix on a boundary', { pathPrefix: ['/api'] }, { pathPrefix: ['/api/v1', '/api/'] }, /path_prefix \/api covers \/api\/v1/],
    ['root prefix', { pathPrefix: ['/'] }, { pathPrefix: ['/x'] }, /path_prefix \/ covers \/x/],
    ['source inside', { source: ['10.0.0.0/8'] }, { source: ['10.1.0.0/16', '10.2.3.4'] }, /source 10\.0\.0\.0\/8 covers 10\.1\.0\.0\/16/],
    ['ipv6 source inside', { source: ['fd00::/8'] }, { source: ['fd12::/16'] }, /source fd00::\/8 covers fd12::\/16/],
    ['method subset', { method: ['GET', 'HEAD'] }, { method: ['HEAD'] }, /same method HEAD/],
    ['alpn subset', { alpn: ['h2', 'http/1.1'] }, { alpn: ['h2'], sni: ['a.test'] }, /same alpn h2/],
    ['listener subset', { listener: ['web'] }, { listener: ['web'] }, /same listener web/],
    ['peer subset', { peer: ['did:dev:a', 'did:dev:b'] }, { peer: ['did:dev:b'] }, /same peer did:dev:b/],
    ['protocol subset', { protocol: ['tls', 'http'] }, { protocol: ['tls'] }, /same protocol tls/],
    ['protocol listing all is no condition', { protocol: ['tls', 'http', 'other'] }, { sni: ['a.test'] }, /no conditions/],
    ['equal header', { header: { 'x-a': { equals: '1' } } }, { header: { 'x-a': { equals: '1' }, 'x-b': { present: true } } }, /same header x-a condition/],
    ['equal regex', { pathRegex: '^/a' }, { pathRegex: '^/a', method: ['GET'] }, /same path_regex \^\/a/],
    ['several conditions', { sni: ['*.t'], method: ['GET'] }, { sni: ['a.t'], method: ['GET'], pathPrefix: ['/'] }, /\*\.t covers a\.t, same method GET/]
  ]
  for (const [name, a, b, why] of cases) {
    const w = findShadowed(chain([route('A', a), route('B', b)]))
    t.equal(w.length, 1, name)
    t.match(w[0]?.message, why, name)
    t.equal(w[0]?.by, 'A', name)
    t.notOk(/\(line/.test(w[0]?.message ?? ''), 'no line without a position')
  }
})

t.test('findShadowed: negative cases', async t => {
  const cases: Array<[string, MatchSpec, MatchSpec]> = [
    ['specific first is fine', { sni: ['www.example.com'] }, { sni: ['*.example.com'] }],
    ['wildcard does not cover bare name', { sni: ['*.example.com'] }, { sni: ['example.com'] }],
    ['partial cover', { sni: ['*.example.com'] }, { sni: ['www.example.com', 'other.org'] }],
    ['A has a condition B lacks', { sni: ['a.test'], method: ['GET'] }, { sni: ['a.test'] }],
    ['sni does not cover host', { sni: ['a.test'] }, { host: ['a.test'] }],
    ['star host vs non-HTTP route', { host: ['*'] }, { sni: ['a.test'] }],
    ['wildcard does not cover star', { sni: ['*.test'] }, { sni: ['*'] }],
    ['prefix not on a boundary', { pathPrefix: ['/api'] }, { pathPrefix: ['/apix'] }],
    ['slash prefix vs bare', { pathPrefix: ['/api/'] }, { pathPrefix: ['/api'] }],
    ['one prefix outside', { pathPrefix: ['/a'] }, { pathPrefix: ['/a/x', '/b'] }],
    ['wider source later', { source: ['10.1.0.0/16'] }, { source: ['10.0.0.0/8'] }],
    ['source families differ', { source: ['10.0.0.0/8'] }, { source: ['::1'] }],
    ['method superset later', { method: ['GET'] }, { method: ['GET', 'POST'] }],
    ['different header', { header: { 'x-a': { present: true } } }, { header: { 'x-a': { equals: '1' } } }],
    ['different regex', { pathRegex: '^/a' }, { pathRegex: '^/a/' }],
    ['protocol superset later', { protocol: ['tls'] }, { protocol: ['tls', 'http'] }]
  ]
  for (const [name, a, b] of cases) t.same(findShadowed(chain([route('A', a), route('B', b)])), [], name)
})

t.test('findShadowed: one warning per route, naming the first coverer', async t => {
  const w = findShadowed(chain([
    route('a', { sni: ['x.test'] }),
    route('wild', { sni: ['*.test'] }),
    route('x-again', { sni: ['x.test'] }),
    route('y', { sni: ['y.test'] }),
    route('catch', {}),
    route('late', { protocol: ['other'] })
  ]))
  t.same(w.map(x => [x.route, x.by]), [['x-again', 'a'], ['y', 'wild'], ['late', 'catch']])
})

t.test('property: a reported route really never wins', async t => {
  fc.assert(fc.property(fc.array(arbMatch, { minLength: 2, maxLength: 8 }), fc.array(arbFacts, { minLength: 1, maxLength: 20 }), (matches, factsList) => {
    const spec = chain(matches.map((m, i) => route(`r${i}`, m)))
    const shadowed = new Set(findShadowed(spec).map(w => w.route))
    const table = compileTable(spec)
    for (const f of factsList) {
      const got = table.lookup(f)
      if (got !== undefined && shadowed.has(got.spec.id)) return false
      // Stronger: a shadowed route's own matcher implies its coverer's.
      for (const w of findShadowed(spec)) {
        const b = table.routes.find(r => r.spec.id === w.route)!
        const a = table.routes.find(r => r.spec.id === w.by)!
        if (b.matches(f) && !a.matches(f)) return false
      }
    }
    return true
  }), { interruptAfterTimeLimit: 5000, numRuns: 2000 })
  t.pass('sound')
})

t.test('property: findShadowed finds what comparing every pair finds', async t => {
  fc.assert(fc.property(fc.array(arbMatch, { maxLength: 12 }), matches => {
    const spec = chain(matches.map((m, i) => route(`r${i}`, m)))
    const naive: string[] = []
    matches.forEach((b, j) => {
      const i = matches.findIndex((a, k) => k < j && coverReason(a, b) !== undefined)
      if (i >= 0) naive.push(`r${j}<r${i}`)
    })
    return JSON.stringify(findShadowed(spec).map(w => `${w.route}<${w.by}`)) === JSON.stringify(naive)
  }), { interruptAfterTimeLimit: 4000, numRuns: 3000 })
  t.pass('same warnings')
})

t.test('findShadowed stays fast with many exact routes', async t => {
  const routes = Array.from({ length: 5000 }, (_, i) => route(`r${i}`, { sni: [i % 2 === 0 ? `h${i}.test` : `*.h${i}.test`] }))
  const start = Date.now()
  t.same(findShadowed(chain(routes)), [])
  t.ok(Date.now() - start < 2000, `took ${Date.now() - start} ms`)
})
