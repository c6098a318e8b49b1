// Untrusted bytes → one query we can answer, or a coded error saying how to react (errors.ts).
// dns2's Packet.parse does the wire decoding: it is bounds-checked (every read past the end throws,
// name pointers are loop-checked, names capped at 255 octets) and reports per-record failures on
// `packet.errors` instead of throwing; the checks here are the ones an authoritative server adds.
import { Packet } from 'dns2'
import {
  DNS_ERR_SHORT_MESSAGE, DNS_ERR_NOT_A_QUERY, DNS_ERR_MALFORMED, DNS_ERR_MESSAGE_TOO_LARGE,
  DNS_ERR_OPCODE_NOT_IMPLEMENTED, DNS_ERR_BAD_EDNS_VERSION, type DnsQueryError, type ReplyContext
} from './errors.ts'
import { OPCODES, QTYPES } from './types.ts'

const HEADER_BYTES = 12

export interface Query {
  id: number
  opcode: number
  rd: number
  /** The name as asked (its case is echoed back); no trailing dot, '' for the root. */
  question: { name: string, type: number, class: number }
  /** Present when the query carried an OPT record (RFC 6891). */
  opt?: { udpPayloadSize: number, version: number }
}

function withReply<E extends DnsQueryError> (err: E, reply: ReplyContext): E {
  err.reply = reply
  return err
}

/**
 * Decode a query. Throws a DnsQueryError: `dnsRcode` undefined → drop the message; otherwise
 * answer with that RCODE, echoing `err.reply`.
 */
export function decodeQuery (buf: Buffer, maxMessageBytes: number): Query {
  if (buf.length < HEADER_BYTES) throw new DNS_ERR_SHORT_MESSAGE(buf.length)
  // Never answer a response: two servers answering each other's answers would loop forever.
  if ((buf[2] & 0x80) !== 0) throw new DNS_ERR_NOT_A_QUERY()
  const reply: ReplyContext = { id: buf.readUInt16BE(0), opcode: (buf[2] >> 3) & 0x0f, rd: buf[2] & 0x01 }
  if (buf.length > maxMessageBytes) throw withReply(new DNS_ERR_MESSAGE_TOO_LARGE(buf.length, maxMessageBytes), reply)

  let packet: InstanceType<typeof Packet>
  try {
    packet = Packet.parse(buf)
  } catch (cause) {
    throw withReply(new DNS_ERR_MALFORMED((cause as Error).message, { cause }), reply)
  }
  const questions = packet.questions
  const opts = packet.additionals.filter(r => r != null && r.type === QTYPES.OPT)
  const first = questions.length === 1 ? questions[0] : undefined
  if (first != null) reply.question = { name: first.name, type: first.type, class: first.class }
  if (opts.length === 1) {
    const o = opts[0] as unknown as { class: number, version?: number }
    reply.opt = { udpPayloadSize: o.class, version: o.version ?? 0 }
  }
  if (packet.errors.length > 0) throw withReply(new DNS_ERR_MALFORMED(packet.errors[0].message), reply)
  if (reply.opcode !== OPCODES.QUERY) throw withReply(new DNS_ERR_OPCODE_NOT_IMPLEMENTED(reply.opcode), reply)
  if (first == null) throw withReply(new DNS_ERR_MALFORMED(`expected 1 question, got ${questions.length}`), reply)
  // RFC 6891 §6.1.1: more than one OPT is a format error; so is an OPT outside the additional section.
  if (opts.length > 1) throw withReply(new DNS_ERR_MALFORMED(`${opts.length} OPT records`), reply)
  for (const r of [...packet.answers, ...packet.authorities]) {
    if (r?.type === QTYPES.OPT) throw withReply(new DNS_ERR_MALFORMED('OPT record outside the additional section'), reply)
  }
  if (first.type === QTYPES.OPT) throw withReply(new DNS_ERR_MALFORMED('OPT as the question type'), reply)
  if (reply.opt != null && reply.opt.version > 0) throw withReply(new DNS_ERR_BAD_EDNS_VERSION(reply.opt.version), reply)
  return { id: reply.id, opcode: reply.opcode, rd: reply.rd, question: reply.question!, ...(reply.opt != null ? { opt: reply.opt } : {}) }
}
