// IP address conversions for the PROXY codec: text ⇄ bytes, and node's canonical text form
// (net.SocketAddress formats with inet_ntop, the same as socket.remoteAddress), so addresses from
// a PROXY header compare equal to addresses node reports for sockets.
import { isIPv4, isIPv6, SocketAddress } from 'node:net'

/** Canonical text of a valid IPv6 address without zone id; undefined when it is not one. */
export function canonicalIPv6 (text: string): string | undefined {
  if (text.includes('%') || !isIPv6(text)) return undefined
  return new SocketAddress({ address: text, family: 'ipv6' }).address
}

/** Canonical text of a dotted-quad IPv4 address (node rejects leading zeros); undefined otherwise. */
export function canonicalIPv4 (text: string): string | undefined {
  return isIPv4(text) ? text : undefined
}

export function ipv4FromBytes (buf: Buffer, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`
}

export function ipv6FromBytes (buf: Buffer, off: number): string {
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(off + i).toString(16))
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address
}

export function ipv4ToBytes (text: string): Buffer {
  return Buffer.from(text.split('.').map(Number))
}

/**
 * Bytes of an IPv6 address already in canonical form (lower-case groups, at most one "::", maybe
 * a trailing dotted quad as in "::ffff:1.2.3.4"). Node exposes no inet_pton, hence this.
 */
export function ipv6ToBytes (canonical: string): Buffer {
  const toGroups = (part: string): number[] => {
    if (part === '') return []
    const out: number[] = []
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const b = ipv4ToBytes(g)
        out.push((b[0] << 8) | b[1], (b[2] << 8) | b[3])
      } else {
        out.push(parseInt(g, 16))
      }
    }
    return out
  }
  const gap = canonical.indexOf('::')
  const head = toGroups(gap === -1 ? canonical : canonical.slice(0, gap))
  const tail = gap === -1 ? [] : toGroups(canonical.slice(gap + 2))
  const groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2))
  return out
}

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/

/** "1.2.3.4" for "::ffff:1.2.3.4" (what dual-stack sockets report for IPv4 peers), else undefined. */
export function unmapIPv4 (canonicalV6: string): string | undefined {
  return MAPPED.exec(canonicalV6)?.[1]
}
