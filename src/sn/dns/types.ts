// The SN's authoritative DNS: the data it answers from, and the protocol numbers it uses.
// Wire encoding and decoding are dns2's (Packet); what to answer is ours (answer.ts).

export type DnsRecord =
  | { type: 'A', address: string, ttl: number } | { type: 'AAAA', address: string, ttl: number }
  | { type: 'TXT', data: string[] /* character-strings */, ttl: number }
  | { type: 'NS', ns: string, ttl: number } | { type: 'CNAME', domain: string, ttl: number }
  | { type: 'SOA', primary: string, admin: string, serial: number, refresh: number, retry: number, expiration: number, minimum: number, ttl: number }

export type DnsRecordType = DnsRecord['type']

/** The data the authoritative server answers from; the SN implements it over its registry. */
export interface DnsAuthority {
  /** Apexes we are authoritative for (lowercase, no trailing dot): the SN domain and bound custom domains. */
  apexes (): readonly string[]
  /** Every record at exactly `name` (lowercase); undefined when no records exist there. Wildcard owners are literal "*.x". */
  records (name: string): readonly DnsRecord[] | undefined
  /** True when some name below `name` has records (an empty non-terminal exists → NODATA, not NXDOMAIN). */
  hasDescendants (name: string): boolean
  /**
   * Changes whenever any answer could change (the SN: its zone serial). When given, replies are
   * kept by their query's exact bytes until it moves; without it every query is answered afresh.
   */
  version? (): number
}

/** A record as it goes on the wire: the owner name is the one to write (the asker's case for direct answers). */
export interface OwnedRecord { name: string, record: DnsRecord }

/** RFC 1035 §4.1.1 and RFC 6891 §9 RCODEs we send. */
export const RCODES = Object.freeze({
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16
} as const)

export const OPCODES = Object.freeze({ QUERY: 0 } as const)

/** Query types with a meaning of their own; the rest are looked up by their number. */
export const QTYPES = Object.freeze({
  A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255
} as const)

export const QCLASSES = Object.freeze({ IN: 1, ANY: 255 } as const)

/** Type numbers of the record types we hold. */
export const RECORD_TYPE_CODES: Readonly<Record<DnsRecordType, number>> = Object.freeze({
  A: 1, NS: 2, CNAME: 5, SOA: 6, TXT: 16, AAAA: 28
})

/** RFC 6891 §6.2.5: payload size we advertise and cap UDP answers at (DNS flag day 2020 value). */
export const DEFAULT_MAX_UDP_PAYLOAD = 1232
/** RFC 1035 §4.2.1: UDP answers to queries without EDNS. */
export const CLASSIC_UDP_LIMIT = 512
/** A TCP message's length prefix is 16 bits. */
export const TCP_MESSAGE_LIMIT = 65535
