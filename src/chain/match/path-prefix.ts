// Path prefixes on a segment boundary: "/api" matches "/api", "/api/x" (and "/api?q", whose path
// is "/api"), not "/apix". A prefix ending in "/" ("/api/", "/") matches everything below it.
// Paths are compared as sent: percent-encoding is not decoded ("/%61pi" is not "/api").

export function pathPrefixMatches (prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false
  return path.length === prefix.length || prefix.endsWith('/') || path.charCodeAt(prefix.length) === 0x2f
}

/** True when every path `inner` matches is also matched by `outer` (for shadow warnings). */
export function pathPrefixCovers (outer: string, inner: string): boolean {
  return pathPrefixMatches(outer, inner)
}
