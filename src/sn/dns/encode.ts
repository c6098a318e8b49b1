// A response → wire bytes with dns2's encoder, fitted to the transport's size limit: an answer
// that does not fit is replaced by a truncated one (TC set, question and OPT kept, records dropped;
// RFC 2181 §9, RFC 6891 §7) so that the client retries over TCP.
import { Packet } from 'dns2'
import { DNS_ERR_ENCODE } from './errors.ts'
import { QCLASSES, RECORD_TYPE_CODES, type OwnedRecord } from './types.ts'

export interface Response {
  id: number
  opcode: number
  rd: number
  rcode: number
  aa: boolean
  question?: { name: string, type: number, class: number }
  answers: OwnedRecord[]
  authorities: OwnedRecord[]
  /** Our OPT record, sent when the query had one (or the RCODE needs it): the payload size we accept. */
  opt?: { udpPayloadSize: number }
}

type Resource = InstanceType<typeof Packet.Resource>

/** A TXT character-string holds at most 255 bytes (RFC 1035 §3.3): longer strings are split. */
function characterStrings (data: readonly string[]): Buffer[] {
  const out: Buffer[] = []
  for (const s of data) {
    const b = Buffer.from(s, 'utf8')
    if (b.length === 0) out.push(b)
    for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255))
  }
  return out
}

function toResource ({ name, record: r }: OwnedRecord): Resource {
  const base = { name, type: RECORD_TYPE_CODES[r.type], class: QCLASSES.IN, ttl: r.ttl }
  switch (r.type) {
    case 'A': case 'AAAA': return { ...base, address: r.address } as Resource
    case 'NS': return { ...base, ns: r.ns } as Resource
    case 'CNAME': return { ...base, domain: r.domain } as Resource
    case 'TXT': return { ...base, data: characterStrings(r.data) as unknown as string[] } as Resource
    case 'SOA': return {
      ...base, primary: r.primary, admin: r.admin, serial: r.serial, refresh: r.refresh, retry: r.retry, expiration: r.expiration, minimum: r.minimum
    } as Resource
  }
}

function build (r: Response, truncated: boolean): Buffer {
  const p = new Packet()
  p.header = new Packet.Header({ id: r.id, qr: 1, opcode: r.opcode, aa: r.aa ? 1 : 0, tc: truncated ? 1 : 0, rd: r.rd === 1 ? 1 : 0, rcode: r.rcode })
  if (r.question != null) p.questions = [new Packet.Question(r.question.name, r.question.type, r.question.class)]
  if (!truncated) {
    p.answers = r.answers.map(toResource)
    p.authorities = r.authorities.map(toResource)
  }
  if (r.opt != null) p.additionals = [Packet.Resource.EDNS([], { udpPayloadSize: r.opt.udpPayloadSize })]
  return p.toBuffer()
}

/**
 * Encode `r`; when it is longer than `limit` bytes, encode the truncated form instead. Throws
 * DNS_ERR_ENCODE when a record cannot be encoded (the caller answers SERVFAIL).
 */
export function encodeResponse (r: Response, limit: number): { buf: Buffer, truncated: boolean } {
  let buf: Buffer
  try {
    buf = build(r, false)
  } catch (cause) {
    throw new DNS_ERR_ENCODE(r.question?.name ?? '', (cause as Error).message, { cause })
  }
  if (buf.length <= limit) return { buf, truncated: false }
  // Header + one question + OPT is at most 12 + 259 + 11 bytes, under any limit we use (≥ 512).
  return { buf: build(r, true), truncated: true }
}

