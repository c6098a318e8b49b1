import t from 'tap'
import fc from 'fast-check'
import { checkHostPattern, hostMatches, hostPatternCovers } from '../../../../src/chain/match/host-pattern.ts'

t.test('checkHostPattern accepts names, wildcards, "*" and IP literals', async t => {
  for (const ok of ['a.example.com', 'example.com', 'localhost', '*.example.com', '*.com', '*', 'a_b.x-y.test',
    '10.0.0.1', '::1', '[::1]', '2001:db8::1', 'xn--bcher-kva.example']) {
    t.equal(checkHostPattern(ok), undefined, ok)
  }
})

t.test('checkHostPattern says why a pattern is wrong', async t => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['a..b', /empty label/],
    ['.a.b', /empty label/],
    ['a.b.', /empty label/],
    ['*.', /empty label/],
    ['a.*.b', /"\*"/],
    ['a*.b', /"\*"/],
    ['*a.b', /"\*"/],
    ['**.b', /"\*"/],
    ['*.*.b', /"\*"/],
    ['A.example.com', /lower-case/],
    ['a b.com', /characters/],
    ['a/b.com', /characters/],
    ['a:80', /characters/],
    ['ü.example', /characters/],
    [`${'a'.repeat(64)}.com`, /label longer/],
    [`${'a.'.repeat(127)}com`, /longer than 253/]
  ]
  for (const [p, why] of bad) t.match(checkHostPattern(p), why, JSON.stringify(p))
})

t.test('hostMatches', async t => {
  const table: Array<[string, string | undefined, boolean]> = [
    ['a.example.com', 'a.example.com', true],
    ['a.example.com', 'a.example.com.', true], // trailing dot in facts ignored
    ['a.example.com', 'b.example.com', false],
    ['a.example.com', 'example.com', false],
    ['a.example.com', 'x.a.example.com', false],
    ['a.example.com', undefined, false],
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', 'a.b.example.com', true], // one or more labels
    ['*.example.com', 'www.example.com.', true],
    ['*.example.com', 'example.com', false], // not the bare name
    ['*.example.com', 'example.com.', false],
    ['*.example.com', 'wwwexample.com', false],
    ['*.example.com', '.example.com', false],
    ['*.example.com', 'www.example.org', false],
    ['*.example.com', undefined, false],
    ['*', 'anything.test', true],
    ['*', undefined, true], // "*" also matches no name
    ['*', '', true],
    ['10.0.0.1', '10.0.0.1', true],
    ['::1', '[::1]', true],
    ['[::1]', '::1', true],
    ['a.example.com', 'A.Example.COM', true] // probes lower-case; matching does it again
  ]
  for (const [p, h, want] of table) t.equal(hostMatches(p, h), want, `${p} vs ${String(h)}`)
})

t.test('hostPatternCovers', async t => {
  const table: Array<[string, string, boolean]> = [
    ['*', 'a.b', true],
    ['*', '*', true],
    ['*', '*.b', true],
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', '*.a.example.com', true],
    ['*.example.com', '*.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', '*', false],
    ['*.a.example.com', '*.example.com', false],
    ['*.example.com', '*.xexample.com', false],
    ['a.example.com', 'a.example.com', true],
    ['a.example.com', '*.example.com', false]
  ]
  for (const [o, i, want] of table) t.equal(hostPatternCovers(o, i), want, `${o} covers ${i}`)
})

const label = fc.stringMatching(/^[a-z0-9_-]{1,6}$/)
const name = fc.array(label, { minLength: 1, maxLength: 4 }).map(l => l.join('.'))

t.test('property: checkHostPattern never throws on any string', async t => {
  fc.assert(fc.property(fc.string({ maxLength: 40 }), s => {
    const r = checkHostPattern(s)
    return r === undefined || typeof r === 'string'
  }), { interruptAfterTimeLimit: 2000, numRuns: 5000 })
  t.pass('no throw')
})

t.test('property: a wildcard matches exactly the names with extra labels; covers agrees with matching', async t => {
  fc.assert(fc.property(name, name, fc.array(label, { maxLength: 3 }), (suffix, other, extra) => {
    const host = [...extra, suffix].join('.')
    const want = extra.length > 0
    if (hostMatches(`*.${suffix}`, host) !== want) return false
    // "*.suffix" covers "host" exactly when it matches it.
    if (hostPatternCovers(`*.${suffix}`, host) !== want) return false
    // If a pattern covers another, everything the inner one matches the outer one matches too.
    const inner = `*.${host}`
    if (hostPatternCovers(`*.${suffix}`, inner) && !hostMatches(`*.${suffix}`, `${other}.${host}`)) return false
    return checkHostPattern(`*.${suffix}`) === undefined && checkHostPattern(host) === undefined
  }), { interruptAfterTimeLimit: 3000, numRuns: 3000 })
  t.pass('consistent')
})
