// CIDR lists for the `source` condition, on node:net's BlockList. An entry is "10.0.0.0/8",
// "2001:db8::/32" or a single address ("10.0.0.1", "::1" = /32 or /128). Host bits may be set
// ("10.1.2.3/8" means 10.0.0.0/8). BlockList treats an IPv4-mapped IPv6 address
// ("::ffff:10.1.2.3", as a dual-stack socket reports IPv4 peers) as the IPv4 address, so IPv4
// ranges match it. A zone id ("fe80::1%eth0") is ignored.
import { BlockList, isIP } from 'node:net'
import { CHAIN_ERR_BAD_CIDR } from './errors.ts'

export interface Cidr {
  readonly address: string
  readonly prefix: number
  readonly family: 'ipv4' | 'ipv6'
}

/** Parse one entry; a string (the reason) when invalid. */
export function parseCidr (text: string): Cidr | string {
  if (typeof text !== 'string' || text === '') return 'empty'
  const slash = text.indexOf('/')
  const address = slash < 0 ? text : text.slice(0, slash)
  const version = isIP(address)
  if (version === 0 || address.includes('%')) return `${JSON.stringify(address)} is not an IP address`
  const bits = version === 4 ? 32 : 128
  if (slash < 0) return { address, prefix: bits, family: version === 4 ? 'ipv4' : 'ipv6' }
  const p = text.slice(slash + 1)
  if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > bits) return `prefix length ${JSON.stringify(p)} is not 0..${bits}`
  return { address, prefix: Number(p), family: version === 4 ? 'ipv4' : 'ipv6' }
}

/** Config-time check; undefined when fine, else why not. */
export function checkCidr (text: string): string | undefined {
  const c = parseCidr(text)
  return typeof c === 'string' ? c : undefined
}

function toCidr (text: string): Cidr {
  const c = parseCidr(text)
  if (typeof c === 'string') throw new CHAIN_ERR_BAD_CIDR(text, c)
  return c
}

/** One BlockList for the whole list; throws CHAIN_ERR_BAD_CIDR on an invalid entry. */
export function compileCidrs (list: readonly string[]): (address: string) => boolean {
  const blocks = new BlockList()
  for (const text of list) {
    const c = toCidr(text)
    blocks.addSubnet(c.address, c.prefix, c.family)
  }
  return (address: string): boolean => {
    if (typeof address !== 'string') return false
    const pct = address.indexOf('%')
    const a = pct < 0 ? address : address.slice(0, pct)
    const version = isIP(a)
    if (version === 0) return false
    return blocks.check(a, version === 4 ? 'ipv4' : 'ipv6')
  }
}

/** True when every address of `inner` lies in `outer` (for shadow warnings; same family only). */
export function cidrCovers (outer: string, inner: string): boolean {
  const o = parseCidr(outer)
  const i = parseCidr(inner)
  if (typeof o === 'string' || typeof i === 'string') return false
  if (o.family !== i.family || o.prefix > i.prefix) return false
  // Aligned blocks either nest or are disjoint, so one address of `inner` inside `outer` suffices.
  const blocks = new BlockList()
  blocks.addSubnet(o.address, o.prefix, o.family)
  return blocks.check(i.address, i.family)
}
