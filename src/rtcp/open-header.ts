// The header that starts every rtcp stream, and the result that answers it.
//
//   request:  version u8 (=1) | purpose u8 | target length u16 BE | target (UTF-8)
//   result:   version u8 (=1) | code u8    | message length u16 BE | message (UTF-8)
//
// The opener writes the request, the acceptor resolves the target with its own rules and answers
// with one result; after an `ok` result the stream carries raw bytes both ways. Decoders work on
// whatever bytes have arrived, answer 'need_more' until a whole header is there, never read past
// the declared limit, and reject anything malformed with a coded error.
import { RTCP_ERR_BAD_HEADER, RTCP_ERR_HEADER_TOO_LARGE } from './errors.ts'

export const HEADER_VERSION = 1
export const MAX_TARGET_BYTES = 2048
export const MAX_MESSAGE_BYTES = 512

export const PURPOSES = Object.freeze({
  stream: 1, //        bytes to a target
  datagram: 2, //      datagrams to a target (not yet supported)
  ping: 3, //          keep-alive: answered at once, no target
  relay: 4, //         to an SN: "relay me to the device <target>"; the result carries a token
  relay_accept: 5 //   from an SN: "a device wants you, connect to the relay with this token"
} as const)
export type Purpose = keyof typeof PURPOSES

export const RESULT_CODES = Object.freeze({
  ok: 0,
  refused: 1, //          the acceptor's rules refuse this target
  unreachable: 2, //      the target cannot be reached from the acceptor
  timeout: 3, //          connecting to the target timed out
  rate_limited: 4, //     too many stream opens on this tunnel
  connect_refused: 5, //  the target actively refused the connection
  bad_request: 6, //      the header could not be understood
  unsupported: 7 //       purpose not supported by the acceptor
} as const)
export type ResultCode = keyof typeof RESULT_CODES

const PURPOSE_BY_NUMBER = new Map<number, Purpose>(Object.entries(PURPOSES).map(([k, v]) => [v, k as Purpose]))
const CODE_BY_NUMBER = new Map<number, ResultCode>(Object.entries(RESULT_CODES).map(([k, v]) => [v, k as ResultCode]))

export interface OpenRequest { purpose: Purpose, target: string }
export interface OpenResult { code: ResultCode, message: string }
export type Decoded<T> = { value: T, rest: Buffer } | 'need_more'

const utf8 = new TextDecoder('utf-8', { fatal: true })

function frame (second: number, text: string, max: number): Buffer {
  const body = Buffer.from(text, 'utf8')
  if (body.length > max) throw new RTCP_ERR_HEADER_TOO_LARGE(body.length, max)
  const out = Buffer.allocUnsafe(4 + body.length)
  out[0] = HEADER_VERSION
  out[1] = second
  out.writeUInt16BE(body.length, 2)
  body.copy(out, 4)
  return out
}

export function encodeRequest (req: OpenRequest): Buffer {
  return frame(PURPOSES[req.purpose], req.target, MAX_TARGET_BYTES)
}

export function encodeResult (res: OpenResult): Buffer {
  const message = res.message.length > MAX_MESSAGE_BYTES ? res.message.slice(0, MAX_MESSAGE_BYTES) : res.message
  // A message cut in the middle of a multi-byte character would not decode; trim bytes, not chars.
  let body = Buffer.from(message, 'utf8')
  if (body.length > MAX_MESSAGE_BYTES) body = Buffer.from(body.subarray(0, MAX_MESSAGE_BYTES).toString('utf8').replace(/\uFFFD+$/, ''), 'utf8')
  return frame(RESULT_CODES[res.code], body.toString('utf8'), MAX_MESSAGE_BYTES)
}

function decodeFrame (buf: Buffer, max: number): { second: number, text: string, rest: Buffer } | 'need_more' {
  if (buf.length >= 1 && buf[0] !== HEADER_VERSION) throw new RTCP_ERR_BAD_HEADER(`unsupported version ${buf[0]}`)
  if (buf.length < 4) return 'need_more'
  const len = buf.readUInt16BE(2)
  if (len > max) throw new RTCP_ERR_HEADER_TOO_LARGE(len, max)
  if (buf.length < 4 + len) return 'need_more'
  let text: string
  try {
    text = utf8.decode(buf.subarray(4, 4 + len))
  } catch (err) {
    throw new RTCP_ERR_BAD_HEADER('text is not UTF-8', { cause: err })
  }
  return { second: buf[1], text, rest: buf.subarray(4 + len) }
}

export function decodeRequest (buf: Buffer): Decoded<OpenRequest> {
  const f = decodeFrame(buf, MAX_TARGET_BYTES)
  if (f === 'need_more') return f
  const purpose = PURPOSE_BY_NUMBER.get(f.second)
  if (purpose == null) throw new RTCP_ERR_BAD_HEADER(`unknown purpose ${f.second}`)
  return { value: { purpose, target: f.text }, rest: f.rest }
}

export function decodeResult (buf: Buffer): Decoded<OpenResult> {
  const f = decodeFrame(buf, MAX_MESSAGE_BYTES)
  if (f === 'need_more') return f
  const code = CODE_BY_NUMBER.get(f.second)
  if (code == null) throw new RTCP_ERR_BAD_HEADER(`unknown result code ${f.second}`)
  return { value: { code, message: f.text }, rest: f.rest }
}
