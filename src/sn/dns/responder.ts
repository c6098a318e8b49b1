// One query in, one reply out (or nothing): decode, answer, encode, count. Shared by the UDP and
// TCP listeners; synchronous, because the authority is (a lookup needs no I/O).
import type { Logger } from '../../core/logger.ts'
import { decodeQuery } from './decode.ts'
import { answerQuestion, type Answer } from './answer.ts'
import { encodeResponse, type Response } from './encode.ts'
import type { DnsQueryError } from './errors.ts'
import { RCODES, CLASSIC_UDP_LIMIT, TCP_MESSAGE_LIMIT, type DnsAuthority } from './types.ts'
import { ReplyCache, withId } from './reply-cache.ts'

export type Transport = 'udp' | 'tcp'

/** Counters, read by tests and the SN's status; all but tcpOpen only grow. */
export interface DnsStats {
  /** Messages received (UDP datagrams, TCP frames). */
  received: number
  /** Replies sent, by RCODE name (NOERROR, NXDOMAIN, REFUSED, FORMERR, ...). */
  rcodes: Record<string, number>
  /** Messages that failed to decode or were refused by a check, by error code (DNS_ERR_...). */
  errors: Record<string, number>
  /** Messages dropped without a reply (no readable header, or a response). */
  dropped: number
  /** UDP replies sent truncated (TC set). */
  truncated: number
  /** TCP connections open now (the one gauge here). */
  tcpOpen: number
  /** TCP connections closed at once because maxTcpConnections were open. */
  tcpRejected: number
  /** TCP connections closed after tcpIdleTimeoutMs without traffic. */
  tcpIdleClosed: number
  /** TCP connections closed for a frame longer than maxMessageBytes. */
  tcpOversize: number
}

export function newStats (): DnsStats {
  return { received: 0, rcodes: {}, errors: {}, dropped: 0, truncated: 0, tcpOpen: 0, tcpRejected: 0, tcpIdleClosed: 0, tcpOversize: 0 }
}

const RCODE_NAMES: Readonly<Record<number, string>> = Object.freeze(Object.fromEntries(Object.entries(RCODES).map(([k, v]) => [v, k])))

export interface ResponderInit {
  authority: DnsAuthority
  logger: Logger
  /** Largest UDP reply we send and the payload size we advertise in OPT. */
  maxUdpPayload: number
  /** Longest query we accept. */
  maxMessageBytes: number
  stats: DnsStats
}

export type Responder = (msg: Buffer, transport: Transport) => Buffer | undefined

export function createResponder (init: ResponderInit): Responder {
  const { authority, logger, maxUdpPayload, maxMessageBytes, stats } = init
  const bump = (table: Record<string, number>, key: string): void => { table[key] = (table[key] ?? 0) + 1 }

  /** RFC 6891 §6.2.5: the requester's advertised size (never below 512), capped at ours; 512 without EDNS. */
  const limitFor = (transport: Transport, opt: { udpPayloadSize: number } | undefined): number => {
    if (transport === 'tcp') return TCP_MESSAGE_LIMIT
    if (opt == null) return CLASSIC_UDP_LIMIT
    return Math.min(Math.max(opt.udpPayloadSize, CLASSIC_UDP_LIMIT), maxUdpPayload)
  }

  const cache = authority.version != null ? new ReplyCache() : undefined
  // What the last send() wrote, for the cache.
  let lastTruncated = false
  let lastRcode = ''

  const send = (r: Response, transport: Transport, requestOpt: { udpPayloadSize: number } | undefined): Buffer => {
    let out: { buf: Buffer, truncated: boolean }
    try {
      out = encodeResponse(r, limitFor(transport, requestOpt))
    } catch (err) {
      logger.warn({ err, name: r.question?.name }, 'cannot encode a DNS answer; answering SERVFAIL')
      r = { ...r, rcode: RCODES.SERVFAIL, aa: false, answers: [], authorities: [] }
      out = encodeResponse(r, limitFor(transport, requestOpt))
    }
    if (out.truncated) stats.truncated++
    lastTruncated = out.truncated
    lastRcode = RCODE_NAMES[r.rcode] ?? String(r.rcode)
    bump(stats.rcodes, lastRcode)
    return out.buf
  }

  return (msg, transport) => {
    stats.received++
    const version = authority.version?.()
    const key = cache != null && version != null ? cache.key(msg, transport) : undefined
    if (key != null) {
      const hit = cache!.get(key, version!)
      if (hit != null) {
        if (hit.truncated) stats.truncated++
        bump(stats.rcodes, hit.rcode)
        return withId(hit.buf, msg)
      }
    }
    let query
    try {
      query = decodeQuery(msg, maxMessageBytes)
    } catch (e) {
      const err = e as DnsQueryError
      bump(stats.errors, err.code ?? 'unknown')
      if (logger.isLevelEnabled('debug')) logger.debug({ err, transport }, 'bad DNS query')
      const reply = err.reply
      if (err.dnsRcode == null || reply == null) { stats.dropped++; return undefined }
      // An RCODE above 15 only exists with an OPT record to carry its high bits (RFC 6891 §6.1.3).
      const opt = reply.opt != null || err.dnsRcode > 15 ? { udpPayloadSize: maxUdpPayload } : undefined
      return send({ id: reply.id, opcode: reply.opcode, rd: reply.rd, rcode: err.dnsRcode, aa: false, question: reply.question, answers: [], authorities: [], opt }, transport, reply.opt)
    }
    const q = query.question
    let answer: Answer
    let cacheable = key != null
    try {
      answer = answerQuestion(authority, q.name, q.type, q.class)
    } catch (err) {
      // The authority is the SN's registry: a failure there is ours, not the asker's.
      logger.warn({ err, name: q.name, type: q.type }, 'DNS authority failed; answering SERVFAIL')
      answer = { rcode: RCODES.SERVFAIL, aa: false, answers: [], authorities: [] }
      cacheable = false
    }
    const reply = send({
      id: query.id, opcode: query.opcode, rd: query.rd, question: q, ...answer,
      ...(query.opt != null ? { opt: { udpPayloadSize: maxUdpPayload } } : {})
    }, transport, query.opt)
    if (cacheable && lastRcode !== 'SERVFAIL') cache!.set(key!, version!, { buf: reply, rcode: lastRcode, truncated: lastTruncated })
    return reply
  }
}
