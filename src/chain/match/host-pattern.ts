// Host patterns for the `sni` and `host` conditions.
//
//   "a.example.com"  exactly that name
//   "*.example.com"  any name with one or more labels before ".example.com"; not "example.com"
//   "*"              any name, and also no name at all (no SNI, no Host header)
//
// Patterns are lower-case DNS names (letters, digits, "-", "_", "."), or IP literals ("10.0.0.1",
// "::1", "[::1]"). A fact's trailing dot ("a.example.com.") is ignored and facts are lower-cased
// before comparing (the probes already lower-case them; doing it again is cheap insurance).
import { isIP } from 'node:net'

const LABEL = /^[a-z0-9_-]+$/
const MAX_NAME = 253
const MAX_LABEL = 63

/** Config-time check; undefined when fine, else why not (for the config loader's messages). */
export function checkHostPattern (text: string): string | undefined {
  if (typeof text !== 'string' || text === '') return 'empty pattern'
  if (text === '*') return undefined
  if (isIpLiteral(text)) return undefined
  if (text !== text.toLowerCase()) return 'must be lower-case'
  const name = text.startsWith('*.') ? text.slice(2) : text
  if (name.includes('*')) return '"*" may only stand alone or as the whole first label ("*.example.com")'
  if (name.length > MAX_NAME) return `longer than ${MAX_NAME} characters`
  for (const label of name.split('.')) {
    if (label === '') return 'empty label (leading, trailing or double dot)'
    if (label.length > MAX_LABEL) return `label longer than ${MAX_LABEL} characters`
    if (!LABEL.test(label)) return `label ${JSON.stringify(label)} has characters outside [a-z0-9-_]`
  }
  return undefined
}

/** "[::1]" and "::1" alike; IPv4 literals are also valid DNS-looking names. */
function isIpLiteral (text: string): boolean {
  if (text.startsWith('[') && text.endsWith(']')) return isIP(text.slice(1, -1)) === 6
  return isIP(text) !== 0
}

/**
 * The name a fact carries, ready to compare: lower-cased, trailing dot and IPv6 brackets removed;
 * undefined stays undefined.
 */
export function normalizeHost (host: string | undefined): string | undefined {
  if (host === undefined) return undefined
  let h = host.toLowerCase()
  if (h.endsWith('.')) h = h.slice(0, -1)
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  return h
}

/** The pattern in the form normalizeHost gives facts (lower-case, IPv6 brackets removed). */
export function normalizePattern (pattern: string): string {
  const p = pattern.toLowerCase()
  return p.startsWith('[') && p.endsWith(']') ? p.slice(1, -1) : p
}

/** Compare with a fact already passed through normalizeHost. */
export function hostMatchesNormalized (pattern: string, host: string | undefined): boolean {
  if (pattern === '*') return true
  if (host === undefined) return false
  if (pattern.startsWith('*.')) {
    // pattern.slice(1) is ".example.com": the host must end with it and have a label before it.
    return host.length > pattern.length - 1 && host.endsWith(pattern.slice(1))
  }
  return host === pattern
}

export function hostMatches (pattern: string, host: string | undefined): boolean {
  return hostMatchesNormalized(normalizePattern(pattern), normalizeHost(host))
}

/**
 * True when every name `inner` matches is also matched by `outer` (for shadow warnings):
 * "*" covers everything; "*.example.com" covers "www.example.com" and "*.a.example.com".
 */
export function hostPatternCovers (outer: string, inner: string): boolean {
  const o = normalizePattern(outer)
  const i = normalizePattern(inner)
  if (o === '*') return true
  if (i === '*') return false
  if (o.startsWith('*.')) {
    const suffix = o.slice(1)
    if (i.startsWith('*.')) return i.slice(1).endsWith(suffix)
    return i.length > suffix.length && i.endsWith(suffix)
  }
  return o === i
}
