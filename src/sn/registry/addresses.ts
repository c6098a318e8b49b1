// IP addresses as devices report them: validated with node:net, spelled one way only, so an
// unchanged report compares equal and DNS answers are stable.
import { isIP } from 'node:net'
import { SN_ERR_BAD_REQUEST } from '../errors.ts'

export const MAX_ADDRS = 16

/** IPv4-mapped IPv6 ("::ffff:1.2.3.4") reads as the IPv4 address; IPv6 is lowercased. */
export function canonicalIp (ip: string): string {
  const lower = ip.toLowerCase()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  return mapped !== null ? mapped[1] : lower
}

/** A report's address list: at most MAX_ADDRS IPs, canonical, without duplicates. */
export function parseAddrs (value: unknown): string[] {
  if (!Array.isArray(value) || value.length > MAX_ADDRS) throw new SN_ERR_BAD_REQUEST(`"addrs" must be an array of at most ${MAX_ADDRS} IP addresses`)
  const addrs: string[] = []
  for (const a of value) {
    if (typeof a !== 'string' || isIP(a) === 0) throw new SN_ERR_BAD_REQUEST('"addrs" must hold IP addresses')
    const canonical = canonicalIp(a)
    if (!addrs.includes(canonical)) addrs.push(canonical)
  }
  return addrs
}
