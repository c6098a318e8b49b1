// SOCKS5 (RFC 1928) and username/password auth (RFC 1929): protocol numbers and the codec's
// contract. Protocol numbers live in these frozen tables, never inline. Types and constants only;
// the codec is decode.ts / encode.ts.

export const SOCKS_VERSION = 0x05
export const AUTH_VERSION = 0x01

export const AUTH_METHODS = Object.freeze({
  NO_AUTH: 0x00,
  GSSAPI: 0x01,
  USERNAME_PASSWORD: 0x02,
  NO_ACCEPTABLE: 0xff
} as const)

export const COMMANDS = Object.freeze({
  CONNECT: 0x01,
  BIND: 0x02,
  UDP_ASSOCIATE: 0x03
} as const)

export const ADDRESS_TYPES = Object.freeze({
  IPV4: 0x01,
  DOMAIN: 0x03,
  IPV6: 0x04
} as const)

export const REPLY_CODES = Object.freeze({
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08
} as const)

export type Command = 'connect' | 'bind' | 'udp_associate'

/** A SOCKS address: IPv4/IPv6 in node's canonical text form, or a domain name (1..255 bytes). */
export type SocksAddress =
  | { type: 'ipv4', host: string, port: number }
  | { type: 'ipv6', host: string, port: number }
  | { type: 'domain', host: string, port: number }

/** Client → server: VER NMETHODS METHODS. */
export interface Greeting { methods: number[] }
/** Server → client: VER METHOD. */
export interface MethodSelection { method: number }
/** Client → server (RFC 1929): VER ULEN UNAME PLEN PASSWD. */
export interface AuthRequest { username: string, password: string }
/** Server → client (RFC 1929): VER STATUS (0 = success). */
export interface AuthReply { status: number }
/** Client → server: VER CMD RSV ATYP DST.ADDR DST.PORT. */
export interface Request { command: Command, target: SocksAddress }
/** Server → client: VER REP RSV ATYP BND.ADDR BND.PORT. */
export interface Reply { code: number, bound: SocksAddress }
/** UDP relay datagram: RSV(2) FRAG ATYP DST.ADDR DST.PORT DATA. */
export interface UdpDatagram { frag: number, target: SocksAddress, data: Buffer }

/**
 * Every decoder takes the bytes seen so far and answers 'need_more' until a whole message is
 * there, then the message and how many bytes it took (bytes after it are not looked at).
 * Malformed input throws a coded SOCKS_ERR_* error; nothing is buffered beyond one message's
 * declared size (at most 2 + 255 + 255 + ... bytes: every SOCKS message is small and bounded).
 */
export type Decoded<T> = { status: 'done', value: T, bytes: number } | { status: 'need_more' }
