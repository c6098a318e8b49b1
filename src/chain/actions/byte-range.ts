// One `Range: bytes=...` header against a file size (RFC 9110 14.1.2). Only a single range is
// served; several ranges, other units and bad syntax are ignored (the full file is sent), which
// the RFC allows.

export type RangeResult =
  | { kind: 'full' }
  | { kind: 'partial', start: number, end: number }
  | { kind: 'unsatisfiable' }

const SINGLE = /^bytes[ \t]*=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i

export function parseByteRange (header: string | undefined, size: number): RangeResult {
  if (header === undefined || header.length > 200) return { kind: 'full' }
  const m = SINGLE.exec(header)
  if (m === null) return { kind: 'full' }
  const [, a, b] = m
  if (a === '' && b === '') return { kind: 'full' }
  if (a === '') {
    // Suffix: the last n bytes.
    const n = Number(b)
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(a)
  const end = b === '' ? size - 1 : Number(b)
  if (b !== '' && end < start) return { kind: 'full' } // invalid: ignore the header
  if (start >= size) return { kind: 'unsatisfiable' }
  return { kind: 'partial', start, end: Math.min(end, size - 1) }
}
