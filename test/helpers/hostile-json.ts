// JSON values that JSON.parse turns into traps: objects whose toString, valueOf or toJSON is not a
// function (String(v) and `${v}` throw on them), and keys such as __proto__ and constructor. Every
// fuzzer of a JSON decoder mixes these into its random bodies.
import fc from 'fast-check'

const TRAP_KEYS = ['toString', 'valueOf', 'toJSON', 'constructor', '__proto__', 'then', 'length']

/** Parsed JSON, as a server sees it, with trap objects mixed in at any depth. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>(tie => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 1 }),
    fc.dictionary(fc.constantFrom(...TRAP_KEYS), tie('value'), { minKeys: 1, maxKeys: 3 }),
    fc.array(tie('value'), { maxLength: 3 })
  )
})).value.map(v => JSON.parse(JSON.stringify(v)) as unknown)
