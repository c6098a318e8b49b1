// DNS name rules the SN applies to zones, device names, TXT owners and custom domains. Names are
// compared lowercase without the trailing dot.

/** One zone or device label: letters, digits and inner hyphens, 1-63 characters. */
export const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
// TXT owners may use underscore labels (_acme-challenge, _zonegate-challenge) and a leading "*".
const RECORD_LABEL = /^(?:\*|[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)$/
const MAX_NAME = 253

/** Lowercase, no trailing dot; undefined when not a string. */
export function normalizeName (name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}

/** True when `name` is `base` itself or below it. */
export function isAtOrUnder (name: string, base: string): boolean {
  return name === base || name.endsWith('.' + base)
}

/** True when `name` is strictly below `base`. */
export function isUnder (name: string, base: string): boolean {
  return name.length > base.length && name.endsWith('.' + base)
}

/** A well-formed DNS owner name for a record we store (labels as LABEL, plus `_x` and `*`). */
export function isRecordName (name: string): boolean {
  if (name.length === 0 || name.length > MAX_NAME) return false
  const labels = name.split('.')
  return labels.every((l, i) => RECORD_LABEL.test(l) && (l !== '*' || i === 0))
}

/** A host name made of LABELs with at least two labels (custom domains). */
export function isDomainName (name: string): boolean {
  if (name.length > MAX_NAME) return false
  const labels = name.split('.')
  return labels.length >= 2 && labels.every(l => LABEL.test(l)) && !/^[0-9]+$/.test(labels[labels.length - 1])
}

/** The label of a zone name `<label>.<domain>`, or undefined when it is not one. */
export function zoneLabel (zone: string, domain: string): string | undefined {
  if (!isUnder(zone, domain)) return undefined
  const label = zone.slice(0, -(domain.length + 1))
  return LABEL.test(label) ? label : undefined
}
