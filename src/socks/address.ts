// SocksAddress: conversion from/to "host:port" text and the wire form ATYP DST.ADDR DST.PORT
// shared by requests, replies and UDP datagrams. IPv6 text is always node's canonical form
// (what `net.SocketAddress` prints), so the same address compares equal however it arrived.
import { isIPv4, isIPv6, SocketAddress } from 'node:net'
import { ADDRESS_TYPES, type SocksAddress } from './types.ts'
import { SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED, SOCKS_ERR_INVALID_VALUE, SOCKS_ERR_MALFORMED } from './errors.ts'

export const MAX_DOMAIN_BYTES = 255

// fatal: invalid UTF-8 is refused rather than turned into U+FFFD (two different byte strings must
// never decode to the same name); ignoreBOM: a leading U+FEFF is data, not a marker to strip.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Decodes UTF-8 strictly; throws SOCKS_ERR_MALFORMED naming `what` on invalid bytes. */
export function decodeUtf8 (bytes: Buffer, what: string, field: string): string {
  try {
    return utf8.decode(bytes)
  } catch (err) {
    throw new SOCKS_ERR_MALFORMED(what, `${field} is not valid UTF-8`, { cause: err })
  }
}

/** Encodes a 1..255-byte UTF-8 field (domain, username, password); throws on anything else. */
export function encodeShortString (value: unknown, what: string): Buffer {
  // isWellFormed: a lone surrogate would be written as U+FFFD and not survive a round trip.
  if (typeof value !== 'string' || !value.isWellFormed()) throw new SOCKS_ERR_INVALID_VALUE(what, 'not a well-formed string')
  const bytes = Buffer.from(value, 'utf8')
  if (bytes.length < 1 || bytes.length > MAX_DOMAIN_BYTES) throw new SOCKS_ERR_INVALID_VALUE(what, `${bytes.length} bytes, must be 1..255`)
  return bytes
}

function checkPort (port: unknown, what: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new SOCKS_ERR_INVALID_VALUE(what, `port ${String(port)} is not an integer in 0..65535`)
  }
  return port
}

function canonicalIpv6 (host: string): string {
  return new SocketAddress({ address: host, family: 'ipv6' }).address
}

/** IPv6 text (no zone, validated by isIPv6) → 16 bytes. Handles `::` and a trailing dotted quad. */
function ipv6Bytes (host: string): Buffer {
  const out = Buffer.alloc(16)
  const halves = host.split('::')
  const groups = (part: string): number[] => {
    if (part === '') return []
    const words: number[] = []
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number)
        words.push((a << 8) | b, (c << 8) | d)
      } else {
        words.push(parseInt(g, 16))
      }
    }
    return words
  }
  const head = groups(halves[0])
  const tail = halves.length > 1 ? groups(halves[1]) : []
  head.forEach((w, i) => out.writeUInt16BE(w, i * 2))
  tail.forEach((w, i) => out.writeUInt16BE(w, 16 - (tail.length - i) * 2))
  return out
}

function ipv6Text (bytes: Buffer): string {
  const words: string[] = []
  for (let i = 0; i < 16; i += 2) words.push(bytes.readUInt16BE(i).toString(16))
  return canonicalIpv6(words.join(':'))
}

/**
 * "host" and port → SocksAddress. IP literals (IPv6 with or without brackets) become ipv4/ipv6 in
 * canonical form; anything else is a domain. Zone ids (fe80::1%eth0) are refused: SOCKS cannot
 * carry them and dropping them silently would change the destination.
 */
export function addressFromHostPort (host: string, port: number): SocksAddress {
  checkPort(port, 'address')
  if (typeof host !== 'string') throw new SOCKS_ERR_INVALID_VALUE('address', 'host is not a string')
  const bracketed = host.startsWith('[') && host.endsWith(']')
  const bare = bracketed ? host.slice(1, -1) : host
  if (bare.includes('%')) throw new SOCKS_ERR_INVALID_VALUE('address', `zone id in ${host} cannot be sent over SOCKS`)
  if (isIPv6(bare)) return { type: 'ipv6', host: canonicalIpv6(bare), port }
  if (bracketed) throw new SOCKS_ERR_INVALID_VALUE('address', `${host} is bracketed but not an IPv6 address`)
  if (isIPv4(bare)) return { type: 'ipv4', host: bare, port }
  encodeShortString(bare, 'domain')
  return { type: 'domain', host: bare, port }
}

/** "1.2.3.4:80", "[2001:db8::1]:80", "example.com:80". */
export function formatAddress (a: SocksAddress): string {
  return a.type === 'ipv6' ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}

/** ATYP DST.ADDR DST.PORT for `a`; throws SOCKS_ERR_INVALID_VALUE if it cannot be encoded. */
export function encodeAddress (a: SocksAddress, what: string): Buffer {
  if (a === null || typeof a !== 'object') throw new SOCKS_ERR_INVALID_VALUE(what, 'address missing')
  const port = checkPort(a.port, what)
  let head: Buffer
  if (a.type === 'ipv4') {
    if (typeof a.host !== 'string' || !isIPv4(a.host)) throw new SOCKS_ERR_INVALID_VALUE(what, `${String(a.host)} is not an IPv4 address`)
    head = Buffer.from([ADDRESS_TYPES.IPV4, ...a.host.split('.').map(Number)])
  } else if (a.type === 'ipv6') {
    if (typeof a.host !== 'string' || a.host.includes('%') || !isIPv6(a.host)) throw new SOCKS_ERR_INVALID_VALUE(what, `${String(a.host)} is not an IPv6 address`)
    head = Buffer.concat([Buffer.from([ADDRESS_TYPES.IPV6]), ipv6Bytes(a.host)])
  } else if (a.type === 'domain') {
    const name = encodeShortString(a.host, `${what} domain`)
    head = Buffer.concat([Buffer.from([ADDRESS_TYPES.DOMAIN, name.length]), name])
  } else {
    throw new SOCKS_ERR_INVALID_VALUE(what, `unknown address type ${String((a as { type?: unknown }).type)}`)
  }
  const tail = Buffer.alloc(2)
  tail.writeUInt16BE(port)
  return Buffer.concat([head, tail])
}

/**
 * Reads ATYP DST.ADDR DST.PORT at `offset`. Returns the address and the offset after it, or null
 * while bytes are missing. Looks only at bytes the address declares.
 */
export function decodeAddress (buf: Buffer, offset: number, what: string): { address: SocksAddress, end: number } | null {
  if (buf.length <= offset) return null
  const atyp = buf[offset]
  let start = offset + 1
  let address: SocksAddress
  if (atyp === ADDRESS_TYPES.IPV4) {
    if (buf.length < start + 6) return null
    address = { type: 'ipv4', host: `${buf[start]}.${buf[start + 1]}.${buf[start + 2]}.${buf[start + 3]}`, port: 0 }
    start += 4
  } else if (atyp === ADDRESS_TYPES.IPV6) {
    if (buf.length < start + 18) return null
    address = { type: 'ipv6', host: ipv6Text(buf.subarray(start, start + 16)), port: 0 }
    start += 16
  } else if (atyp === ADDRESS_TYPES.DOMAIN) {
    if (buf.length <= start) return null
    const len = buf[start]
    if (len === 0) throw new SOCKS_ERR_MALFORMED(what, 'empty domain name')
    if (buf.length < start + 1 + len + 2) return null
    address = { type: 'domain', host: decodeUtf8(buf.subarray(start + 1, start + 1 + len), what, 'domain'), port: 0 }
    start += 1 + len
  } else {
    throw new SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED(atyp.toString(16).padStart(2, '0'))
  }
  address.port = buf.readUInt16BE(start)
  return { address, end: start + 2 }
}
