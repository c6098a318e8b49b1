// Durations and sizes as people write them in YAML ("15s", "250ms", "4MiB") or as plain numbers
// (milliseconds, bytes). The patterns are also what the JSON Schema tells editors.

export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$'
export const SIZE_PATTERN = '^[0-9]+(\\.[0-9]+)?(B|KiB|MiB|GiB|kB|KB|MB|GB)$'

const DURATION_UNITS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 })
const SIZE_UNITS: Readonly<Record<string, number>> = Object.freeze({
  B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1000, KB: 1000, MB: 1000 ** 2, GB: 1000 ** 3
})

/** Milliseconds, or undefined when `value` is neither a duration string nor a non-negative number. */
export function parseDuration (value: unknown): number | undefined {
  return parseWithUnits(value, DURATION_UNITS, /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/, true)
}

/** Bytes, or undefined when `value` is neither a size string nor a non-negative integer. */
export function parseSize (value: unknown): number | undefined {
  return parseWithUnits(value, SIZE_UNITS, /^([0-9]+(?:\.[0-9]+)?)(B|KiB|MiB|GiB|kB|KB|MB|GB)$/, false)
}

function parseWithUnits (value: unknown, units: Readonly<Record<string, number>>, re: RegExp, round: boolean): number | undefined {
  let n: number
  if (typeof value === 'number') {
    // Plain numbers are already in the base unit, which is whole (as the schema requires).
    if (!Number.isInteger(value)) return undefined
    n = value
  } else if (typeof value === 'string') {
    const m = re.exec(value)
    if (m == null) return undefined
    n = Number(m[1]) * units[m[2]]
  } else {
    return undefined
  }
  // A fraction of a millisecond rounds; a fraction of a byte is a mistake ("1.3B").
  if (round) n = Math.round(n)
  if (!Number.isSafeInteger(n) || n < 0) return undefined
  return n
}
