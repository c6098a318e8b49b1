import t from 'tap'
import fc from 'fast-check'
import { parseByteRange } from '../../../../src/chain/actions/byte-range.ts'

t.test('single ranges', async t => {
  const table: Array<[string | undefined, number, unknown]> = [
    [undefined, 10, { kind: 'full' }],
    ['bytes=0-0', 10, { kind: 'partial', start: 0, end: 0 }],
    ['bytes=0-9', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=3-', 10, { kind: 'partial', start: 3, end: 9 }],
    ['bytes=-4', 10, { kind: 'partial', start: 6, end: 9 }],
    ['bytes=-40', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=8-99999999999999999999', 10, { kind: 'partial', start: 8, end: 9 }],
    ['Bytes = 1 - 2', 10, { kind: 'partial', start: 1, end: 2 }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=10-20', 10, { kind: 'unsatisfiable' }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=-1', 0, { kind: 'unsatisfiable' }],
    ['bytes=-', 10, { kind: 'full' }],
    ['bytes=2-1', 10, { kind: 'full' }],
    ['bytes=0-1,4-5', 10, { kind: 'full' }],
    ['bytes=a-b', 10, { kind: 'full' }],
    ['bytes 0-1', 10, { kind: 'full' }],
    ['pages=0-1', 10, { kind: 'full' }],
    ['', 10, { kind: 'full' }]
  ]
  for (const [h, size, want] of table) t.same(parseByteRange(h, size), want, `${h} of ${size}`)
})

t.test('property: any header gives a range inside the file or a non-partial answer', async t => {
  const header = fc.oneof(fc.string(), fc.tuple(fc.option(fc.nat(), { nil: undefined }), fc.option(fc.nat(), { nil: undefined }))
    .map(([a, b]) => `bytes=${a ?? ''}-${b ?? ''}`))
  fc.assert(fc.property(header, fc.nat(1e9), (h, size) => {
    const r = parseByteRange(h, size)
    if (r.kind !== 'partial') return true
    return Number.isInteger(r.start) && Number.isInteger(r.end) && r.start >= 0 && r.start <= r.end && r.end < size
  }), { interruptAfterTimeLimit: 4000, numRuns: 20000 })
  t.pass('held')
})
