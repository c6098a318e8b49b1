// The SN's authoritative DNS server: startDnsServer answers from a DnsAuthority over UDP and TCP.
export { startDnsServer, type DnsServer, type DnsServerInit } from './server.ts'
export type { DnsAuthority, DnsRecord, DnsRecordType } from './types.ts'
export type { DnsStats } from './responder.ts'
