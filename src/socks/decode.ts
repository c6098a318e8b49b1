// SOCKS5 / RFC 1929 decoders. Each takes the bytes a caller holds, returns 'need_more' for any
// strict prefix of a message, else the message and its size; it never reads past what the message
// declares and keeps nothing between calls (the caller owns the bytes). Checks run as soon as the
// byte they need is present, so garbage is refused early instead of waiting for a declared length.
//
// RSV policy: the RSV byte of a request and the RSV word of a UDP datagram must be 0 — both reach
// our server from clients, every known client sends 0, and a nonzero value means the peer is not
// speaking RFC 1928 (or the stream is out of step), which we want to stop before acting on it. The
// RSV byte of a reply is ignored: it carries no meaning, comes from foreign servers, and the
// `socks` package and curl ignore it too, so refusing it would only cost interoperability.
import {
  AUTH_VERSION, COMMANDS, SOCKS_VERSION,
  type AuthReply, type AuthRequest, type Command, type Decoded, type Greeting, type MethodSelection,
  type Reply, type Request, type UdpDatagram
} from './types.ts'
import { decodeAddress, decodeUtf8 } from './address.ts'
import { SOCKS_ERR_BAD_VERSION, SOCKS_ERR_COMMAND_NOT_SUPPORTED, SOCKS_ERR_MALFORMED } from './errors.ts'

const NEED_MORE = Object.freeze({ status: 'need_more' } as const)

const COMMAND_NAMES = new Map<number, Command>([
  [COMMANDS.CONNECT, 'connect'],
  [COMMANDS.BIND, 'bind'],
  [COMMANDS.UDP_ASSOCIATE, 'udp_associate']
])

function done<T> (value: T, bytes: number): Decoded<T> {
  return { status: 'done', value, bytes }
}

function checkVersion (buf: Buffer, expected: number, what: string): void {
  if (buf[0] !== expected) throw new SOCKS_ERR_BAD_VERSION(what, expected, buf[0])
}

/** VER NMETHODS METHODS(1..255). */
export function decodeGreeting (buf: Buffer): Decoded<Greeting> {
  if (buf.length < 1) return NEED_MORE
  checkVersion(buf, SOCKS_VERSION, 'greeting')
  if (buf.length < 2) return NEED_MORE
  const n = buf[1]
  if (n === 0) throw new SOCKS_ERR_MALFORMED('greeting', 'NMETHODS is 0')
  if (buf.length < 2 + n) return NEED_MORE
  return done({ methods: [...buf.subarray(2, 2 + n)] }, 2 + n)
}

/** VER METHOD. Any method byte is carried; the caller decides whether it offered it. */
export function decodeMethodSelection (buf: Buffer): Decoded<MethodSelection> {
  if (buf.length < 1) return NEED_MORE
  checkVersion(buf, SOCKS_VERSION, 'method selection')
  if (buf.length < 2) return NEED_MORE
  return done({ method: buf[1] }, 2)
}

/** RFC 1929: VER(1) ULEN UNAME(1..255) PLEN PASSWD(1..255), both strict UTF-8. */
export function decodeAuthRequest (buf: Buffer): Decoded<AuthRequest> {
  if (buf.length < 1) return NEED_MORE
  checkVersion(buf, AUTH_VERSION, 'auth request')
  if (buf.length < 2) return NEED_MORE
  const ulen = buf[1]
  if (ulen === 0) throw new SOCKS_ERR_MALFORMED('auth request', 'empty username')
  const p = 2 + ulen
  if (buf.length < p + 1) return NEED_MORE
  const plen = buf[p]
  if (plen === 0) throw new SOCKS_ERR_MALFORMED('auth request', 'empty password')
  const end = p + 1 + plen
  if (buf.length < end) return NEED_MORE
  return done({
    username: decodeUtf8(buf.subarray(2, p), 'auth request', 'username'),
    password: decodeUtf8(buf.subarray(p + 1, end), 'auth request', 'password')
  }, end)
}

/** RFC 1929: VER(1) STATUS. */
export function decodeAuthReply (buf: Buffer): Decoded<AuthReply> {
  if (buf.length < 1) return NEED_MORE
  checkVersion(buf, AUTH_VERSION, 'auth reply')
  if (buf.length < 2) return NEED_MORE
  return done({ status: buf[1] }, 2)
}

/** VER CMD RSV(0) ATYP DST.ADDR DST.PORT; CONNECT to port 0 is refused. */
export function decodeRequest (buf: Buffer): Decoded<Request> {
  if (buf.length < 1) return NEED_MORE
  checkVersion(buf, SOCKS_VERSION, 'request')
  if (buf.length < 2) return NEED_MORE
  const command = COMMAND_NAMES.get(buf[1])
  if (command === undefined) throw new SOCKS_ERR_COMMAND_NOT_SUPPORTED(buf[1].toString(16).padStart(2, '0'))
  if (buf.length < 3) return NEED_MORE
  if (buf[2] !== 0) throw new SOCKS_ERR_MALFORMED('request', `RSV is 0x${buf[2].toString(16)}, must be 0`)
  const addr = decodeAddress(buf, 3, 'request')
  if (addr === null) return NEED_MORE
  if (command === 'connect' && addr.address.port === 0) throw new SOCKS_ERR_MALFORMED('request', 'CONNECT to port 0')
  return done({ command, target: addr.address }, addr.end)
}

/** VER REP RSV ATYP BND.ADDR BND.PORT. Any REP byte is carried (unassigned ones mean failure). */
export function decodeReply (buf: Buffer): Decoded<Reply> {
  if (buf.length < 1) return NEED_MORE
  checkVersion(buf, SOCKS_VERSION, 'reply')
  if (buf.length < 3) return NEED_MORE
  const addr = decodeAddress(buf, 3, 'reply')
  if (addr === null) return NEED_MORE
  return done({ code: buf[1], bound: addr.address }, addr.end)
}

/**
 * One whole UDP relay datagram: RSV(2, must be 0) FRAG ATYP DST.ADDR DST.PORT DATA. A datagram
 * arrives whole or not at all, so a short one is malformed, not 'need_more'. DATA is a view into
 * `buf`, not a copy.
 */
export function decodeUdpDatagram (buf: Buffer): UdpDatagram {
  if (buf.length < 4) throw new SOCKS_ERR_MALFORMED('UDP datagram', `only ${buf.length} bytes`)
  if (buf[0] !== 0 || buf[1] !== 0) throw new SOCKS_ERR_MALFORMED('UDP datagram', 'RSV is not 0')
  const addr = decodeAddress(buf, 3, 'UDP datagram')
  if (addr === null) throw new SOCKS_ERR_MALFORMED('UDP datagram', 'truncated address')
  return { frag: buf[2], target: addr.address, data: buf.subarray(addr.end) }
}
