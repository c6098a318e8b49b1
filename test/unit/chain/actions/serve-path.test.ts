import t from 'tap'
import fc from 'fast-check'
import { resolveServePath } from '../../../../src/chain/actions/serve-path.ts'

t.test('paths', async t => {
  const table: Array<[string, unknown]> = [
    ['/', { ok: true, segments: [], trailingSlash: false }],
    ['/a', { ok: true, segments: ['a'], trailingSlash: false }],
    ['/a/', { ok: true, segments: ['a'], trailingSlash: true }],
    ['/a/b%20c.txt', { ok: true, segments: ['a', 'b c.txt'], trailingSlash: false }],
    ['/%C3%A9t%C3%A9', { ok: true, segments: ['été'], trailingSlash: false }],
    ['/..a/b..', { ok: true, segments: ['..a', 'b..'], trailingSlash: false }],
    ['/../x', { ok: false, status: 400 }],
    ['/a/..', { ok: false, status: 400 }],
    ['/%2e%2e/x', { ok: false, status: 400 }],
    ['/.', { ok: false, status: 400 }],
    ['/a%2fb', { ok: false, status: 400 }],
    ['/a%2Fb', { ok: false, status: 400 }],
    ['/a%5Cb', { ok: false, status: 400 }],
    ['/a\\b', { ok: false, status: 400 }],
    ['/a%00', { ok: false, status: 400 }],
    ['/a%0a', { ok: false, status: 400 }],
    ['//etc', { ok: false, status: 400 }],
    ['/a//b', { ok: false, status: 400 }],
    ['/%E0%A4%A', { ok: false, status: 400 }],
    ['*', { ok: false, status: 400 }],
    ['', { ok: false, status: 400 }],
    ['a/b', { ok: false, status: 400 }]
  ]
  for (const [p, want] of table) t.same(resolveServePath(p), want, p)
})

t.test('property: accepted paths only yield plain names', async t => {
  const piece = fc.constantFrom('/', '.', '..', '%2e', '%2f', '%5c', '%00', '%', 'a', '%41', '\\', '%c3%a9')
  const path = fc.oneof(fc.string(), fc.array(piece, { maxLength: 12 }).map(a => '/' + a.join('')))
  fc.assert(fc.property(path, p => {
    const r = resolveServePath(p)
    if (!r.ok) return r.status === 400 || r.status === 404
    return r.segments.every(s => s !== '' && s !== '.' && s !== '..' && !/[/\\\0]/.test(s))
  }), { interruptAfterTimeLimit: 4000, numRuns: 20000 })
  t.pass('held')
})
