// Access rules of system-config: which caller may read or write which keys.
//
// Decision: the rules form an ORDERED list and the FIRST rule whose subject matches the caller
// and whose prefix matches the key decides (firewall style); no rule → no access. We chose this
// over "longest prefix wins" because a deny on a secret (`system/verify-hub/key`) must beat a
// broad grant for everybody except root, and with first-match that is simply "put root first,
// then the denials, then the grants" — readable top to bottom. A rule granting 'read' answers a
// write check with "no" (it does not fall through to later rules); 'write' implies 'read'.
//
// Subjects: 'root' | 'device:*' | 'device:<name>' | 'user:*' | 'user:<id>' | 'app:*' |
// 'app:<id>' | '*'. A caller holding an app token is judged as that app only.
//
// Prefixes are matched segment by segment ('/'-separated), never as raw strings, so
// 'services/web' does not match 'services/webmail'. In a prefix, a '*' segment matches any one
// non-empty segment and a '{self}' segment matches the caller's own name (device name, user
// id, app id). A prefix ending in '/' (or the empty prefix) matches everything below it; one
// without a trailing '/' matches that key and everything below it.
import { SYSCFG_ERR_RULES_INVALID } from './service/errors.ts'

export type Access = 'read' | 'write' | 'none'

export interface AccessRule {
  subject: string
  prefix: string
  access: Access
}

/** Who is calling, as authentication established it. */
export type Principal =
  | { kind: 'root' }
  | { kind: 'device', name: string }
  | { kind: 'user', id: string }
  | { kind: 'app', id: string, user: string }

export interface AccessPolicy {
  /** The access the first matching rule grants for `key` ('none' when no rule matches). */
  decide (principal: Principal, key: string): Access
  allows (principal: Principal, key: string, need: 'read' | 'write'): boolean
}

/** Secret keys only root may read (the token issuer's signing key, secrets in general). */
export const PROTECTED_PREFIXES: readonly string[] = Object.freeze(['system/verify-hub/key', 'system/secrets/'])

export const DEFAULT_RULES: readonly AccessRule[] = Object.freeze(([
  { subject: 'root', prefix: '', access: 'write' },
  ...PROTECTED_PREFIXES.map(prefix => ({ subject: '*', prefix, access: 'none' as const })),
  // A device reports its own service instances, its own info and its node's config.
  { subject: 'device:*', prefix: 'services/*/instances/{self}', access: 'write' },
  { subject: 'device:*', prefix: 'devices/{self}/info', access: 'write' },
  { subject: 'device:*', prefix: 'nodes/{self}/', access: 'write' },
  { subject: 'device:*', prefix: '', access: 'read' },
  { subject: 'app:*', prefix: 'apps/{self}/', access: 'write' },
  { subject: 'app:*', prefix: 'services/', access: 'read' }
] satisfies AccessRule[]).map(rule => Object.freeze(rule)))

/** 'root', 'device:<name>', 'user:<id>' or 'app:<id>' (for messages and logs). */
export function principalName (p: Principal): string {
  switch (p.kind) {
    case 'root': return 'root'
    case 'device': return `device:${p.name}`
    case 'user': return `user:${p.id}`
    case 'app': return `app:${p.id}`
  }
}

const SUBJECT = /^(?:\*|root|(?:device|user|app):(?:\*|[A-Za-z0-9._:@-]{1,128}))$/
const MAX_PREFIX_CHARS = 512

export function validateRules (rules: unknown): asserts rules is AccessRule[] {
  if (!Array.isArray(rules)) throw new SYSCFG_ERR_RULES_INVALID(0, 'rules must be an array')
  rules.forEach((rule: unknown, i: number) => {
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) throw new SYSCFG_ERR_RULES_INVALID(i, 'must be an object')
    const r = rule as Record<string, unknown>
    const extra = Object.keys(r).filter(k => k !== 'subject' && k !== 'prefix' && k !== 'access')
    if (extra.length > 0) throw new SYSCFG_ERR_RULES_INVALID(i, `unknown field(s) ${extra.join(', ')}`)
    if (typeof r.subject !== 'string' || !SUBJECT.test(r.subject)) {
      throw new SYSCFG_ERR_RULES_INVALID(i, `subject must be root, *, device:*, device:<name>, user:*, user:<id>, app:* or app:<id>, got ${JSON.stringify(r.subject)}`)
    }
    if (r.access !== 'read' && r.access !== 'write' && r.access !== 'none') {
      throw new SYSCFG_ERR_RULES_INVALID(i, `access must be read, write or none, got ${JSON.stringify(r.access)}`)
    }
    if (typeof r.prefix !== 'string' || r.prefix.length > MAX_PREFIX_CHARS) throw new SYSCFG_ERR_RULES_INVALID(i, 'prefix must be a string of at most 512 characters')
    const problem = prefixProblem(r.prefix)
    if (problem !== undefined) throw new SYSCFG_ERR_RULES_INVALID(i, `prefix ${JSON.stringify(r.prefix)}: ${problem}`)
  })
}

function prefixProblem (prefix: string): string | undefined {
  if (prefix === '') return undefined
  if (prefix.startsWith('/')) return 'must not start with "/"'
  const segs = prefix.split('/')
  if (segs[segs.length - 1] === '') segs.pop()
  for (const seg of segs) {
    if (seg === '') return 'has an empty segment'
    if (seg !== '{self}' && /[{}]/.test(seg)) return '"{self}" must be a whole segment'
    if (seg !== '*' && seg.includes('*')) return '"*" must be a whole segment'
  }
  return undefined
}

interface Compiled {
  subject: (p: Principal) => boolean
  segs: string[]
  /** The prefix ended with '/' (or was empty): it matches only strictly below its segments. */
  open: boolean
  access: Access
}

export function compileRules (rules: readonly AccessRule[]): AccessPolicy {
  validateRules(rules)
  const compiled: Compiled[] = rules.map(rule => {
    const segs = rule.prefix === '' ? [] : rule.prefix.split('/')
    const open = rule.prefix === '' || segs[segs.length - 1] === ''
    if (open && segs.length > 0) segs.pop()
    return { subject: subjectMatcher(rule.subject), segs, open, access: rule.access }
  })

  function decide (principal: Principal, key: string): Access {
    const keySegs = key.split('/')
    const self = selfName(principal)
    for (const rule of compiled) {
      if (rule.subject(principal) && prefixMatches(rule, keySegs, self)) return rule.access
    }
    return 'none'
  }

  return {
    decide,
    allows (principal, key, need) {
      const access = decide(principal, key)
      return access === 'write' || (need === 'read' && access === 'read')
    }
  }
}

function prefixMatches (rule: Compiled, keySegs: string[], self: string | undefined): boolean {
  const { segs } = rule
  if (keySegs.length < segs.length) return false
  for (let i = 0; i < segs.length; i++) {
    const want = segs[i]
    const got = keySegs[i]
    if (want === '*') {
      if (got === '') return false
    } else if (want === '{self}') {
      if (self === undefined || got !== self) return false
    } else if (got !== want) {
      return false
    }
  }
  // 'a/b/' covers 'a/b/' and 'a/b/x' but not 'a/b' itself; 'a/b' covers 'a/b' and 'a/b/...'.
  if (rule.open && segs.length > 0) return keySegs.length > segs.length
  return true
}

function selfName (p: Principal): string | undefined {
  switch (p.kind) {
    case 'root': return undefined
    case 'device': return p.name
    case 'user': return p.id
    case 'app': return p.id
  }
}

function subjectMatcher (subject: string): (p: Principal) => boolean {
  if (subject === '*') return () => true
  if (subject === 'root') return p => p.kind === 'root'
  const colon = subject.indexOf(':')
  const kind = subject.slice(0, colon)
  const id = subject.slice(colon + 1)
  const any = id === '*'
  switch (kind) {
    case 'device': return p => p.kind === 'device' && (any || p.name === id)
    case 'user': return p => p.kind === 'user' && (any || p.id === id)
    default: return p => p.kind === 'app' && (any || p.id === id)
  }
}
