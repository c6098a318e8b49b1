// DNS server errors. Query errors carry their wire mapping: `dnsRcode` is the RCODE to answer with
// (undefined: drop the message silently), `reply` what of the query could be read to answer it.
import { createError, type GatewayError, type GatewayErrorClass } from '../../core/errors.ts'
import { RCODES } from './types.ts'

/** What a reply to a bad query can echo: the header fields, and the question/OPT when they decoded. */
export interface ReplyContext {
  id: number
  opcode: number
  rd: number
  question?: { name: string, type: number, class: number }
  opt?: { udpPayloadSize: number, version: number }
}

export type DnsQueryError = GatewayError & { readonly dnsRcode?: number, reply?: ReplyContext }

export interface DnsQueryErrorClass<A extends unknown[]> extends GatewayErrorClass<A> {
  new (...args: [...A] | [...A, { cause?: unknown }]): DnsQueryError
  readonly dnsRcode?: number
}

function createQueryError<A extends unknown[]> (code: string, template: string, dnsRcode: number | undefined): DnsQueryErrorClass<A> {
  const Coded = createError<A>(code, template) as unknown as new (...args: unknown[]) => GatewayError
  const C = class extends Coded {
    static readonly dnsRcode = dnsRcode
    readonly dnsRcode: number | undefined = dnsRcode
    reply?: ReplyContext
  }
  Object.defineProperty(C, 'name', { value: code })
  return C as unknown as DnsQueryErrorClass<A>
}

// Dropped without an answer: nothing to answer to, or answering could start a loop.
export const DNS_ERR_SHORT_MESSAGE = createQueryError<[number]>(
  'DNS_ERR_SHORT_MESSAGE', 'message of %d bytes has no complete 12-byte header', undefined)
export const DNS_ERR_NOT_A_QUERY = createQueryError<[]>(
  'DNS_ERR_NOT_A_QUERY', 'message has the QR (response) bit set', undefined)
// Answered with their RCODE.
export const DNS_ERR_MALFORMED = createQueryError<[string]>(
  'DNS_ERR_MALFORMED', 'malformed query: %s', RCODES.FORMERR)
export const DNS_ERR_MESSAGE_TOO_LARGE = createQueryError<[number, number]>(
  'DNS_ERR_MESSAGE_TOO_LARGE', 'query of %d bytes exceeds maxMessageBytes %d', RCODES.FORMERR)
export const DNS_ERR_OPCODE_NOT_IMPLEMENTED = createQueryError<[number]>(
  'DNS_ERR_OPCODE_NOT_IMPLEMENTED', 'opcode %d is not implemented (only QUERY)', RCODES.NOTIMP)
export const DNS_ERR_BAD_EDNS_VERSION = createQueryError<[number]>(
  'DNS_ERR_BAD_EDNS_VERSION', 'EDNS version %d is not supported (only 0)', RCODES.BADVERS)

// Server setup.
export const DNS_ERR_BAD_LISTEN_ADDRESS = createError<[string]>(
  'DNS_ERR_BAD_LISTEN_ADDRESS', 'DNS listen address %j is not host:port (IPv6 in brackets: [::1]:53)', TypeError)
export const DNS_ERR_NO_LISTENERS = createError<[]>(
  'DNS_ERR_NO_LISTENERS', 'startDnsServer needs at least one udp or tcp listen address', TypeError)

// Answering: a record from the authority that dns2 cannot encode (a bad address, a name too long).
export const DNS_ERR_ENCODE = createError<[string, string]>(
  'DNS_ERR_ENCODE', 'cannot encode the answer for %j: %s')
