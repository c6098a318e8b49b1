// What an authoritative server answers to one question, from a DnsAuthority. Pure: no I/O, no
// wire format. RFC 1034 §4.3.2 (the algorithm), RFC 2308 (negative answers carry the SOA, with a
// TTL of min(SOA TTL, SOA MINIMUM)), RFC 4592 (wildcards), RFC 6604 (RCODE after a CNAME chain).
import { RCODES, QTYPES, QCLASSES, RECORD_TYPE_CODES, type DnsAuthority, type DnsRecord, type OwnedRecord } from './types.ts'

export interface Answer {
  rcode: number
  /** Authoritative answer: set for every name inside one of our apexes. */
  aa: boolean
  answers: OwnedRecord[]
  authorities: OwnedRecord[]
}

/** Longest CNAME chain followed inside our data before answering with what we have. */
const MAX_CNAME_HOPS = 8

const REFUSED: Readonly<Answer> = Object.freeze({ rcode: RCODES.REFUSED, aa: false, answers: [], authorities: [] })

/** DNS names compare case-insensitively in ASCII only (RFC 4343): other bytes stay as they are. */
export function asciiLower (name: string): string {
  return /[A-Z]/.test(name) ? name.replace(/[A-Z]+/g, s => s.toLowerCase()) : name
}

function stripDot (name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name
}

/** The longest apex that is `name` or a suffix of it at a label boundary. */
export function findApex (apexes: readonly string[], name: string): string | undefined {
  let best: string | undefined
  for (const apex of apexes) {
    if (best != null && apex.length <= best.length) continue
    if (name === apex || (name.length > apex.length && name.endsWith(apex) && name[name.length - apex.length - 1] === '.')) best = apex
  }
  return best
}

function parent (name: string): string {
  const dot = name.indexOf('.')
  return dot < 0 ? '' : name.slice(dot + 1)
}

type Lookup = { records: readonly DnsRecord[] } | undefined

/**
 * The records a name has for answering: its own, an empty list for a name that exists without
 * records (empty non-terminal, or a wildcard that is one), the closest encloser's wildcard
 * records for a name that does not exist, or undefined (NXDOMAIN).
 */
function lookup (authority: DnsAuthority, name: string, apex: string): Lookup {
  const own = authority.records(name)
  if (own != null && own.length > 0) return { records: own }
  if (name === apex || authority.hasDescendants(name)) return { records: [] }
  // RFC 4592 §3.3.1: the closest encloser is the longest existing ancestor; only its own
  // "*." child may stand in for the missing name.
  let encloser = parent(name)
  while (encloser !== apex && encloser.length > apex.length) {
    const recs = authority.records(encloser)
    if ((recs != null && recs.length > 0) || authority.hasDescendants(encloser)) break
    encloser = parent(encloser)
  }
  const wildcard = `*.${encloser}`
  const synth = authority.records(wildcard)
  if (synth != null && synth.length > 0) return { records: synth }
  if (authority.hasDescendants(wildcard)) return { records: [] }
  return undefined
}

/** RFC 2308 §3: the apex SOA, its TTL lowered to the negative-caching TTL. */
function negativeSoa (authority: DnsAuthority, apex: string): OwnedRecord[] {
  const soa = authority.records(apex)?.find(r => r.type === 'SOA')
  if (soa == null || soa.type !== 'SOA') return []
  return [{ name: apex, record: { ...soa, ttl: Math.min(soa.ttl, soa.minimum) } }]
}

/**
 * Answer `qname` (as asked, any case) for `qtype`/`qclass`. Names outside our apexes, other
 * classes and zone transfers are REFUSED. ANY answers every record at the name (RFC 8482 allows
 * a minimal answer; our sets are small, so the full one is the more useful).
 */
export function answerQuestion (authority: DnsAuthority, qname: string, qtype: number, qclass: number): Answer {
  if (qclass !== QCLASSES.IN && qclass !== QCLASSES.ANY) return REFUSED
  if (qtype === QTYPES.AXFR || qtype === QTYPES.IXFR) return REFUSED
  const apexes = authority.apexes()
  let name = asciiLower(stripDot(qname))
  let apex = findApex(apexes, name)
  if (apex == null) return REFUSED
  let owner = stripDot(qname)
  const out: Answer = { rcode: RCODES.NOERROR, aa: true, answers: [], authorities: [] }
  const seen = new Set([name])
  for (let hop = 0; ; hop++) {
    const found = lookup(authority, name, apex)
    if (found == null) {
      out.rcode = RCODES.NXDOMAIN
      out.authorities = negativeSoa(authority, apex)
      return out
    }
    const recs = found.records
    const match = qtype === QTYPES.ANY ? recs : recs.filter(r => RECORD_TYPE_CODES[r.type] === qtype)
    if (match.length > 0) {
      for (const record of match) out.answers.push({ name: owner, record })
      return out
    }
    const cname = qtype === QTYPES.CNAME ? undefined : recs.find(r => r.type === 'CNAME')
    if (cname == null || cname.type !== 'CNAME') {
      out.authorities = negativeSoa(authority, apex)
      return out
    }
    out.answers.push({ name: owner, record: cname })
    // Follow the chain while it stays in our data; a loop or a long chain stops with what we have.
    owner = stripDot(cname.domain)
    name = asciiLower(owner)
    const next = findApex(apexes, name)
    if (next == null || seen.has(name) || hop + 1 >= MAX_CNAME_HOPS) return out
    seen.add(name)
    apex = next
  }
}
