// "Did you mean" for unknown keys and values: the closest known word, when it is close enough
// to be a likely typo (or the same word spelled in another case style: allowAny → allow_any).

/** The known word `word` was most likely meant to be, or undefined. */
export function closest (word: string, known: readonly string[]): string | undefined {
  const squash = (s: string): string => s.replace(/[-_\s]/g, '').toLowerCase()
  const w = squash(word)
  // A long word is no typo of a short key; skip the quadratic work.
  if (w.length > 64) return undefined
  let best: string | undefined
  let bestDistance = Infinity
  for (const k of known) {
    if (squash(k) === w) return k
    const d = distance(w, squash(k))
    if (d < bestDistance) { best = k; bestDistance = d }
  }
  // One edit for short words, then one more per four characters: "lisen" → "listen", but not
  // "id" → "via".
  const allowed = Math.max(1, Math.floor(w.length / 4))
  return bestDistance <= allowed ? best : undefined
}

/** Damerau–Levenshtein (optimal string alignment) distance: a swap of two letters is one edit. */
export function distance (a: string, b: string): number {
  if (a === b) return 0
  const rows: number[][] = []
  for (let i = 0; i <= a.length; i++) rows.push([i])
  for (let j = 1; j <= b.length; j++) rows[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1)
      rows[i][j] = d
    }
  }
  return rows[a.length][b.length]
}
