// The registry's in-memory indexes, loaded from the store at open and kept in step with every
// write, so admission, zoneOf and DNS answers never touch sqlite.
import type { StoreSnapshot } from '../store/store.ts'
import type { DeviceView, RegistryDnsView, ZoneView } from './types.ts'

export interface Report { addrs: string[], observed?: string, direct: boolean, reportedAt: number }

export interface ZoneState {
  name: string
  owner: string
  created: number
  active: boolean
  version: number
  /** device name → did */
  devices: Map<string, string>
  /** claimed custom domains → challenge and whether it is bound */
  domains: Map<string, { challenge: string, verified: boolean }>
  txtCount: number
}

export class RegistryState {
  zones = new Map<string, ZoneState>()
  deviceByDid = new Map<string, { zone: string, name: string }>()
  reports = new Map<string, Report>()
  /** TXT owner name → zone (null: the SN's own) and values in insertion order */
  txt = new Map<string, { zone: string | null, values: string[] }>()
  /** Every proper ancestor of a TXT owner → how many owners lie below it */
  txtAncestors = new Map<string, number>()
  denied = new Set<string>()
  /** verified custom domain → zone */
  bound = new Map<string, string>()

  static load (snap: StoreSnapshot): RegistryState {
    const s = new RegistryState()
    for (const z of snap.zones) {
      s.zones.set(z.name, { name: z.name, owner: z.owner, created: z.created, active: z.active === 1, version: z.version, devices: new Map(), domains: new Map(), txtCount: 0 })
    }
    for (const d of snap.devices) {
      s.zones.get(d.zone)?.devices.set(d.name, d.did)
      s.deviceByDid.set(d.did, { zone: d.zone, name: d.name })
    }
    for (const r of snap.reports) {
      s.reports.set(r.did, { addrs: JSON.parse(r.addrs) as string[], observed: r.observed ?? undefined, direct: r.direct === 1, reportedAt: r.reported_at })
    }
    for (const t of snap.txt) s.addTxt(t.zone, t.name, t.value)
    for (const d of snap.deny) s.denied.add(denyKey(d.kind, d.id))
    for (const d of snap.domains) {
      s.zones.get(d.zone)?.domains.set(d.domain, { challenge: d.challenge, verified: d.verified === 1 })
      if (d.verified === 1) s.bound.set(d.domain, d.zone)
    }
    return s
  }

  addTxt (zone: string | null, name: string, value: string): void {
    let entry = this.txt.get(name)
    if (entry === undefined) {
      entry = { zone, values: [] }
      this.txt.set(name, entry)
      for (const a of ancestors(name)) this.txtAncestors.set(a, (this.txtAncestors.get(a) ?? 0) + 1)
    }
    if (entry.values.includes(value)) return
    entry.values.push(value)
    if (zone !== null) {
      const z = this.zones.get(zone)
      if (z !== undefined) z.txtCount++
    }
  }

  removeTxt (name: string, value: string): void {
    const entry = this.txt.get(name)
    if (entry === undefined) return
    const i = entry.values.indexOf(value)
    if (i < 0) return
    entry.values.splice(i, 1)
    if (entry.zone !== null) {
      const z = this.zones.get(entry.zone)
      if (z !== undefined) z.txtCount--
    }
    if (entry.values.length > 0) return
    this.txt.delete(name)
    for (const a of ancestors(name)) {
      const n = (this.txtAncestors.get(a) ?? 1) - 1
      if (n === 0) this.txtAncestors.delete(a)
      else this.txtAncestors.set(a, n)
    }
  }

  isDenied (kind: string, id: string): boolean {
    return this.denied.has(denyKey(kind, id))
  }

  /** Registered, switched on, not denied, and its owner not denied. */
  zoneActive (z: ZoneState): boolean {
    return z.active && !this.isDenied('zone', z.name) && !this.isDenied('device', z.owner)
  }

  view (z: ZoneState): ZoneView {
    const devices: DeviceView[] = []
    for (const [name, did] of z.devices) {
      const r = this.reports.get(did)
      devices.push(r === undefined
        ? { name, did, addrs: [], direct: false }
        : { name, did, addrs: r.addrs, observed: r.observed, direct: r.direct, reportedAt: r.reportedAt })
    }
    return { zone: z.name, owner: z.owner, active: this.zoneActive(z), devices }
  }

  /** The read side DNS answers from: only active zones and their records are visible. */
  dnsView (domain: string, serial: () => number): RegistryDnsView {
    return {
      domain,
      serial,
      zone: name => {
        const z = this.zones.get(name)
        return z !== undefined && this.zoneActive(z) ? this.view(z) : undefined
      },
      hasZones: () => [...this.zones.values()].some(z => this.zoneActive(z)),
      boundDomains: () => this.bound,
      txt: name => {
        const t = this.txt.get(name)
        if (t === undefined) return undefined
        if (t.zone !== null) {
          const z = this.zones.get(t.zone)
          if (z === undefined || !this.zoneActive(z)) return undefined
        }
        return t.values
      },
      txtHasDescendants: name => this.txtAncestors.has(name)
    }
  }
}

export function denyKey (kind: string, id: string): string {
  return `${kind}\u0000${id}`
}

/** Proper ancestors of a name: "a.b.c" → ["b.c", "c"]. */
export function ancestors (name: string): string[] {
  const out: string[] = []
  let i = name.indexOf('.')
  while (i >= 0) {
    out.push(name.slice(i + 1))
    i = name.indexOf('.', i + 1)
  }
  return out
}
