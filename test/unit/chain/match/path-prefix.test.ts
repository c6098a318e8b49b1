import t from 'tap'
import fc from 'fast-check'
import { pathPrefixMatches, pathPrefixCovers } from '../../../../src/chain/match/path-prefix.ts'

t.test('pathPrefixMatches on a segment boundary', async t => {
  const table: Array<[string, string, boolean]> = [
    ['/api', '/api', true],
    ['/api', '/api/', true],
    ['/api', '/api/x', true],
    ['/api', '/apix', false],
    ['/api', '/ap', false],
    ['/api', '/API', false],
    ['/api', '/%61pi', false], // percent-encoding is not decoded
    ['/api/', '/api/x', true],
    ['/api/', '/api/', true],
    ['/api/', '/api', false], // "/api/" matches only below
    ['/', '/', true],
    ['/', '/anything/at/all', true],
    ['/', '*', false],
    ['/a/b', '/a/b/c', true],
    ['/a/b', '/a/bc', false]
  ]
  for (const [p, path, want] of table) t.equal(pathPrefixMatches(p, path), want, `${p} vs ${path}`)
})

t.test('property: covers implies every matching path of the inner prefix matches the outer', async t => {
  const seg = fc.stringMatching(/^[a-c]{0,2}$/)
  const path = fc.array(seg, { minLength: 1, maxLength: 4 }).map(s => '/' + s.join('/'))
  fc.assert(fc.property(path, path, path, (outer, inner, p) => {
    if (pathPrefixCovers(outer, inner) && pathPrefixMatches(inner, p)) return pathPrefixMatches(outer, p)
    return true
  }), { interruptAfterTimeLimit: 3000, numRuns: 5000 })
  t.pass('sound')
})
