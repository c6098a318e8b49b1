// SOCKS5 / RFC 1929 encoders. Each validates what the wire cannot carry (lengths, byte ranges,
// address syntax) and throws SOCKS_ERR_INVALID_VALUE instead of writing a message a peer would
// misread. The decoders in decode.ts accept exactly what these produce.
import {
  AUTH_VERSION, COMMANDS, SOCKS_VERSION,
  type AuthReply, type AuthRequest, type Greeting, type MethodSelection, type Reply, type Request,
  type UdpDatagram
} from './types.ts'
import { encodeAddress, encodeShortString } from './address.ts'
import { SOCKS_ERR_INVALID_VALUE } from './errors.ts'

const COMMAND_BYTES = { connect: COMMANDS.CONNECT, bind: COMMANDS.BIND, udp_associate: COMMANDS.UDP_ASSOCIATE } as const

function byte (value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new SOCKS_ERR_INVALID_VALUE(what, `${String(value)} is not a byte`)
  }
  return value
}

export function encodeGreeting (g: Greeting): Buffer {
  const methods = g?.methods
  if (!Array.isArray(methods) || methods.length < 1 || methods.length > 255) {
    throw new SOCKS_ERR_INVALID_VALUE('greeting', 'methods must be a list of 1..255 bytes')
  }
  return Buffer.from([SOCKS_VERSION, methods.length, ...methods.map(m => byte(m, 'greeting method'))])
}

export function encodeMethodSelection (m: MethodSelection): Buffer {
  return Buffer.from([SOCKS_VERSION, byte(m?.method, 'method selection')])
}

export function encodeAuthRequest (a: AuthRequest): Buffer {
  const user = encodeShortString(a?.username, 'username')
  const pass = encodeShortString(a?.password, 'password')
  return Buffer.concat([Buffer.from([AUTH_VERSION, user.length]), user, Buffer.from([pass.length]), pass])
}

export function encodeAuthReply (r: AuthReply): Buffer {
  return Buffer.from([AUTH_VERSION, byte(r?.status, 'auth reply status')])
}

export function encodeRequest (r: Request): Buffer {
  const cmd = Object.hasOwn(COMMAND_BYTES, r?.command) ? COMMAND_BYTES[r.command] : undefined
  if (cmd === undefined) throw new SOCKS_ERR_INVALID_VALUE('request', `unknown command ${String(r?.command)}`)
  // The decoder refuses CONNECT to port 0 (nothing listens there); do not produce what we refuse.
  if (r.command === 'connect' && r.target?.port === 0) throw new SOCKS_ERR_INVALID_VALUE('request', 'CONNECT to port 0')
  return Buffer.concat([Buffer.from([SOCKS_VERSION, cmd, 0]), encodeAddress(r.target, 'request target')])
}

export function encodeReply (r: Reply): Buffer {
  return Buffer.concat([Buffer.from([SOCKS_VERSION, byte(r?.code, 'reply code'), 0]), encodeAddress(r.bound, 'reply address')])
}

export function encodeUdpDatagram (d: UdpDatagram): Buffer {
  if (!((d?.data as unknown) instanceof Uint8Array)) throw new SOCKS_ERR_INVALID_VALUE('UDP datagram', 'data is not a Buffer')
  return Buffer.concat([Buffer.from([0, 0, byte(d.frag, 'UDP datagram FRAG')]), encodeAddress(d.target, 'UDP datagram target'), d.data])
}
