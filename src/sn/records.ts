// The SN's DNS data: a DnsAuthority over the registry. SOA/NS at the apex; A/AAAA for the SN's own
// names; `<zone>` and `*.<zone>` answer the zone's public address when a device reported itself
// directly reachable, otherwise the SN's relay addresses; `<device>.<zone>` answers that device's
// addresses; TXT records at their owners. A bound custom domain is an apex with the same records.
import { isIP } from 'node:net'
import type { DnsAuthority, DnsRecord } from './dns/types.ts'
import type { SnRegistry, ZoneView } from './registry/types.ts'
import { isUnder, normalizeName } from './registry/names.ts'

export interface SnAuthorityInit {
  domain: string
  /** NS host names (absolute, no trailing dot); the first is the SOA primary. */
  ns: string[]
  /** The SN's own names → IPs, e.g. { "sn.test": ["127.0.0.1"], "ns1.sn.test": ["127.0.0.1"] }. */
  ownNames: Record<string, string[]>
  /** The SN's public IPs: where a zone that is not directly reachable points. */
  relayAddrs: string[]
  ttl: number
  soa: { admin: string, refresh: number, retry: number, expiration: number, minimum: number }
}

export function snAuthority (registry: SnRegistry, init: SnAuthorityInit): DnsAuthority {
  const view = registry.dnsView()
  const domain = normalizeName(init.domain) ?? ''
  const ttl = init.ttl
  const ns = init.ns.map(n => normalizeName(n) ?? n)
  const own = new Map<string, DnsRecord[]>()
  for (const [name, ips] of Object.entries(init.ownNames)) own.set(normalizeName(name) ?? name, addressRecords(ips, ttl))
  const ownNames = [...own.keys()]
  const relay = addressRecords(init.relayAddrs, ttl)

  // Apexes change only with the registry (custom domains): recompute when the serial moves.
  let apexCache: { serial: number, apexes: string[] } | undefined
  function apexes (): string[] {
    const serial = view.serial()
    if (apexCache?.serial !== serial) {
      const list = [domain]
      for (const [d, zone] of view.boundDomains()) if (view.zone(zone) !== undefined) list.push(d)
      apexCache = { serial, apexes: list }
    }
    return apexCache.apexes
  }

  function apexRecords (): DnsRecord[] {
    const { admin, refresh, retry, expiration, minimum } = init.soa
    const soa: DnsRecord = { type: 'SOA', primary: ns[0] ?? domain, admin, serial: view.serial() >>> 0, refresh, retry, expiration, minimum, ttl }
    return [soa, ...ns.map((n): DnsRecord => ({ type: 'NS', ns: n, ttl }))]
  }

  function zoneAddress (z: ZoneView): DnsRecord[] {
    let best: ZoneView['devices'][number] | undefined
    for (const d of z.devices) {
      if (d.direct && d.reportedAt !== undefined && (best?.reportedAt === undefined || d.reportedAt > best.reportedAt)) best = d
    }
    if (best === undefined) return relay
    return addressRecords(deviceIps(best), ttl)
  }

  /** Address records of `rest` (labels below a zone's base name) within zone z. */
  function zoneNameRecords (z: ZoneView, rest: string): DnsRecord[] {
    if (rest === '' || rest === '*') return zoneAddress(z)
    if (rest.includes('.')) return []
    const device = z.devices.find(d => d.name === rest)
    return device === undefined ? [] : addressRecords(deviceIps(device), ttl)
  }

  /** The zone and the part of `name` below its base, when `name` lies in a zone or bound domain. */
  function locate (name: string): { zone: ZoneView, rest: string } | undefined {
    if (isUnder(name, domain)) {
      const below = name.slice(0, -(domain.length + 1))
      const dot = below.lastIndexOf('.')
      const zone = view.zone(below.slice(dot + 1) + '.' + domain)
      return zone === undefined ? undefined : { zone, rest: dot < 0 ? '' : below.slice(0, dot) }
    }
    const bound = view.boundDomains()
    let base = name
    while (true) {
      const zoneName = bound.get(base)
      if (zoneName !== undefined) {
        const zone = view.zone(zoneName)
        return zone === undefined ? undefined : { zone, rest: base === name ? '' : name.slice(0, -(base.length + 1)) }
      }
      const dot = base.indexOf('.')
      if (dot < 0) return undefined
      base = base.slice(dot + 1)
    }
  }

  function records (qname: string): readonly DnsRecord[] | undefined {
    const name = normalizeName(qname) ?? ''
    const out: DnsRecord[] = []
    const apexList = apexes()
    if (apexList.includes(name)) out.push(...apexRecords())
    const mine = own.get(name)
    if (mine !== undefined) out.push(...mine)
    const at = locate(name)
    if (at !== undefined) out.push(...zoneNameRecords(at.zone, at.rest))
    const txt = view.txt(name)
    if (txt !== undefined) for (const value of txt) out.push({ type: 'TXT', data: [value], ttl })
    return out.length > 0 ? out : undefined
  }

  function hasDescendants (qname: string): boolean {
    const name = normalizeName(qname) ?? ''
    if (view.txtHasDescendants(name)) return true
    if (ownNames.some(n => isUnder(n, name))) return true
    if (apexes().some(a => isUnder(a, name))) return true
    if (name === domain) return view.hasZones()
    const at = locate(name)
    // A zone (or bound domain) base has its "*." wildcard and device names below it.
    return at !== undefined && at.rest === ''
  }

  // Every answer comes from the registry, whose serial moves with each DNS-visible change.
  return { apexes, records, hasDescendants, version: () => view.serial() }
}

function deviceIps (d: ZoneView['devices'][number]): string[] {
  if (d.addrs.length > 0) return d.addrs
  return d.observed === undefined ? [] : [d.observed]
}

function addressRecords (ips: readonly string[], ttl: number): DnsRecord[] {
  const out: DnsRecord[] = []
  for (const ip of ips) {
    const family = isIP(ip)
    if (family === 4) out.push({ type: 'A', address: ip, ttl })
    else if (family === 6) out.push({ type: 'AAAA', address: ip, ttl })
  }
  return out
}
