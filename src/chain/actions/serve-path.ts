// Turns a request path into path segments below the served directory, or says why not. Strict on
// purpose: a static server has no reason to accept "..", encoded slashes, NUL or empty segments,
// and every one of them has been a traversal vector somewhere. The caller still checks the
// realpath (symlinks), this only keeps the lexical path inside.

export type ServePath =
  | { ok: true, segments: string[], trailingSlash: boolean }
  | { ok: false, status: 400 | 404 }

export function resolveServePath (rawPath: string): ServePath {
  // Only origin-form paths: "*" (OPTIONS *) and anything not starting with "/" has no file.
  if (!rawPath.startsWith('/')) return { ok: false, status: 400 }
  // Encoded "/" or "\" would let one decoded segment hold a separator.
  if (/%(2f|5c)/i.test(rawPath)) return { ok: false, status: 400 }
  const raw = rawPath.slice(1).split('/')
  const trailingSlash = raw.length > 1 && raw[raw.length - 1] === ''
  if (raw[raw.length - 1] === '') raw.pop() // "/" → [], "/a/" → ["a"]
  const segments: string[] = []
  for (const part of raw) {
    let seg: string
    try {
      seg = decodeURIComponent(part)
    } catch {
      return { ok: false, status: 400 } // malformed percent-encoding
    }
    // Empty segments ("//etc"), dot segments, NUL, separators and other controls never name a file here.
    if (seg === '' || seg === '.' || seg === '..') return { ok: false, status: 400 }
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x1f\x7f/\\]/.test(seg)) return { ok: false, status: 400 }
    segments.push(seg)
  }
  return { ok: true, segments, trailingSlash }
}
