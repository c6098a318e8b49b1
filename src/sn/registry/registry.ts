// The SN registry: zones, their owner-signed device lists, device reports, TXT records, custom
// domains, invitations and the denylist. Writes go to sqlite in one transaction, then to the
// in-memory indexes (RegistryState) that admission, ingress and DNS read.
import { randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import { canonicalIp, parseAddrs } from './addresses.ts'
import { SnStore } from '../store/store.ts'
import { RegistryState, ancestors, denyKey, type ZoneState } from './state.ts'
import { checkJwt, parseDeviceList } from './docs.ts'
import { isAtOrUnder, isDomainName, isRecordName, isUnder, normalizeName, zoneLabel } from './names.ts'
import { InviteBook } from './invites.ts'
import {
  SN_ERR_BAD_REQUEST, SN_ERR_DENIED, SN_ERR_DEVICE_CONFLICT, SN_ERR_DOMAIN_FORBIDDEN, SN_ERR_DOMAIN_INVALID,
  SN_ERR_DOMAIN_UNKNOWN, SN_ERR_NAME_OUTSIDE_ZONE, SN_ERR_NOT_OWNER, SN_ERR_QUOTA_EXCEEDED, SN_ERR_REGISTRATION_CLOSED,
  SN_ERR_VERSION_STALE, SN_ERR_ZONE_MISMATCH, SN_ERR_ZONE_NAME_INVALID, SN_ERR_ZONE_RESERVED, SN_ERR_ZONE_TAKEN,
  SN_ERR_ZONE_UNKNOWN
} from '../errors.ts'
import type { AcmeStateStore, InviteInfo, RegistryDnsView, ReportInput, SnRegistry, SnRegistryInit, ZoneView } from './types.ts'

export type { SnRegistry, SnRegistryInit, ZoneView } from './types.ts'
export { canonicalIp } from './addresses.ts'

const DEFAULT_RESERVED = ['www', 'ns', 'ns1', 'ns2', 'ns3', 'ns4', 'sn', 'api', 'admin', 'mail', 'relay', 'acme', 'root', 'localhost']
const MAX_TXT_VALUE_BYTES = 255

export function openSnRegistry (init: SnRegistryInit): SnRegistry {
  return new Registry(init)
}

class Registry implements SnRegistry {
  readonly domain: string
  #store: SnStore
  #state: RegistryState
  #invites: InviteBook
  #reserved: Set<string>
  #now: () => number
  #reportTtlMs: number
  #ownerMaxTtl: number
  #limits: { devices: number, txt: number, domains: number, zonesPerOwner: number }
  #serial: number
  #open: boolean
  #http = new Map<string, string>()
  #timer: NodeJS.Timeout | undefined

  constructor (init: SnRegistryInit) {
    const domain = normalizeName(init.domain)
    if (domain === undefined || !isDomainName(domain)) throw new SN_ERR_DOMAIN_INVALID(String(init.domain), 'the SN domain must be a host name')
    this.domain = domain
    this.#now = init.now ?? Date.now
    // The usual service names stay reserved; a config adds the labels of its own names.
    this.#reserved = new Set([...DEFAULT_RESERVED, ...(init.reservedLabels ?? [])])
    this.#reportTtlMs = init.reportTtlMs ?? 15 * 60_000
    this.#ownerMaxTtl = init.ownerMaxTtlSeconds ?? 3600
    this.#limits = {
      devices: init.maxDevicesPerZone ?? 64,
      txt: init.maxTxtPerZone ?? 64,
      domains: init.maxDomainsPerZone ?? 8,
      zonesPerOwner: init.maxZonesPerOwner ?? 8
    }
    this.#store = new SnStore(init.file)
    this.#state = RegistryState.load(this.#store.snapshot())
    this.#invites = new InviteBook(this.#store, this.#now)
    // A new store starts at the current time in seconds, so a rebuilt SN still moves forward.
    this.#serial = Number(this.#store.setting('serial') ?? Math.floor(this.#now() / 1000))
    this.#open = (this.#store.setting('registration_open') ?? String(init.registrationOpen ?? true)) === 'true'
    const every = init.expireEveryMs ?? Math.min(this.#reportTtlMs / 4, 60_000)
    if (every > 0) {
      this.#timer = setInterval(() => this.expireStale(), every)
      this.#timer.unref()
    }
  }

  // Every DNS-visible change bumps the serial inside the same transaction.
  #bump (): void {
    this.#store.setSetting('serial', String(this.#serial + 1))
  }

  #committed (): void {
    this.#serial++
  }

  // ---- operator
  createInvite (options: { uses?: number, expiresAt?: number, note?: string } = {}): { code: string } {
    return this.#invites.create(options)
  }

  closeInvite (code: string): boolean { return this.#invites.close(code) }
  listInvites (): InviteInfo[] { return this.#invites.list() }
  registrationOpen (): boolean { return this.#open }

  setRegistrationOpen (open: boolean): void {
    this.#store.setSetting('registration_open', String(open))
    this.#open = open
  }

  deny (kind: 'zone' | 'device', id: string): void {
    this.#store.tx(() => { this.#store.deny(kind, id); this.#bump() })
    this.#state.denied.add(denyKey(kind, id))
    this.#committed()
  }

  allow (kind: 'zone' | 'device', id: string): void {
    this.#store.tx(() => { this.#store.allow(kind, id); this.#bump() })
    this.#state.denied.delete(denyKey(kind, id))
    this.#committed()
  }

  isDenied (kind: 'zone' | 'device', id: string): boolean {
    return this.#state.isDenied(kind, id)
  }

  // ---- admission and lookups
  isAdmitted (did: string): boolean {
    const dev = this.#state.deviceByDid.get(did)
    if (dev === undefined || this.#state.isDenied('device', did)) return false
    const z = this.#state.zones.get(dev.zone)
    return z !== undefined && this.#state.zoneActive(z)
  }

  deviceOf (did: string): { zone: string, name: string } | undefined {
    const d = this.#state.deviceByDid.get(did)
    return d === undefined ? undefined : { ...d }
  }

  zoneOf (hostname: string): ZoneView | undefined {
    const name = normalizeName(hostname)
    if (name === undefined) return undefined
    if (isUnder(name, this.domain)) {
      const rest = name.slice(0, -(this.domain.length + 1))
      const z = this.#state.zones.get(rest.slice(rest.lastIndexOf('.') + 1) + '.' + this.domain)
      return z === undefined ? undefined : this.#state.view(z)
    }
    // Custom domains: the longest bound suffix wins.
    for (const candidate of [name, ...ancestors(name)]) {
      const zone = this.#state.bound.get(candidate)
      if (zone !== undefined) {
        const z = this.#state.zones.get(zone)
        return z === undefined ? undefined : this.#state.view(z)
      }
    }
    return undefined
  }

  zoneInfo (zone: string): { zone: string, devices: Array<{ name: string, did: string }>, domains: string[], active: boolean } | undefined {
    const z = this.#state.zones.get(normalizeName(zone) ?? '')
    if (z === undefined) return undefined
    return {
      zone: z.name,
      devices: [...z.devices].map(([name, did]) => ({ name, did })),
      domains: [...z.domains].filter(([, d]) => d.verified).map(([domain]) => domain),
      active: this.#state.zoneActive(z)
    }
  }

  // ---- the SN's own ACME
  setOwnTxt (name: string, value: string): void {
    const n = normalizeName(name) ?? ''
    if (!isRecordName(n)) throw new SN_ERR_BAD_REQUEST(`TXT owner ${name} is not a DNS name`)
    this.#writeTxt(null, n, value)
  }

  removeOwnTxt (name: string, value: string): void {
    const n = normalizeName(name) ?? ''
    if (this.#state.txt.get(n)?.zone !== null) return
    this.#deleteTxt(n, value)
  }

  setHttpChallenge (token: string, keyAuth: string): void { this.#http.set(token, keyAuth) }
  removeHttpChallenge (token: string): void { this.#http.delete(token) }
  httpChallenge (token: string): string | undefined { return this.#http.get(token) }

  acmeState (): AcmeStateStore {
    const store = this.#store
    return {
      get: key => store.kvGet(key),
      set: (key, value) => store.kvSet(key, value),
      delete: key => store.kvDelete(key)
    }
  }

  // ---- API operations
  async registerZone (invite: unknown, proof: unknown): Promise<{ zone: string, owner: string }> {
    if (!this.#open) throw new SN_ERR_REGISTRATION_CLOSED()
    this.#invites.check(invite)
    const { issuer, claims } = await checkJwt('zone proof', proof, {
      audience: this.domain, trust: () => true, maxTtlSeconds: this.#ownerMaxTtl, now: this.#now
    })
    const zone = normalizeName(claims.zone)
    if (zone === undefined) throw new SN_ERR_BAD_REQUEST('claim "zone" must be a string')
    const label = zoneLabel(zone, this.domain)
    if (label === undefined) throw new SN_ERR_ZONE_NAME_INVALID(zone, `must be <label>.${this.domain} with a DNS label`)
    if (this.#reserved.has(label)) throw new SN_ERR_ZONE_RESERVED(zone)
    if (this.#state.isDenied('zone', zone)) throw new SN_ERR_DENIED('zone', zone)
    if (this.#state.isDenied('device', issuer)) throw new SN_ERR_DENIED('owner', issuer)
    // Everything below is synchronous: the checks and the write see the same state.
    if (!this.#open) throw new SN_ERR_REGISTRATION_CLOSED()
    if (this.#state.zones.has(zone)) throw new SN_ERR_ZONE_TAKEN(zone)
    let owned = 0
    for (const z of this.#state.zones.values()) if (z.owner === issuer) owned++
    if (owned >= this.#limits.zonesPerOwner) throw new SN_ERR_QUOTA_EXCEEDED(`zones of owner ${issuer}`, this.#limits.zonesPerOwner)
    const now = this.#now()
    this.#store.tx(() => {
      this.#invites.consume(invite as string)
      this.#store.insertZone(zone, issuer, now)
      this.#bump()
    })
    this.#state.zones.set(zone, { name: zone, owner: issuer, created: now, active: true, version: 0, devices: new Map(), domains: new Map(), txtCount: 0 })
    this.#committed()
    return { zone, owner: issuer }
  }

  #zone (zone: string): ZoneState {
    const z = this.#state.zones.get(zone)
    if (z === undefined) throw new SN_ERR_ZONE_UNKNOWN(zone)
    return z
  }

  #activeZone (zone: string): ZoneState {
    const z = this.#zone(zone)
    if (this.#state.isDenied('zone', z.name)) throw new SN_ERR_DENIED('zone', z.name)
    if (this.#state.isDenied('device', z.owner)) throw new SN_ERR_DENIED('owner', z.owner)
    if (!z.active) throw new SN_ERR_DENIED('zone', z.name)
    return z
  }

  async verifyOwnerDoc (zone: string, doc: unknown): Promise<Record<string, unknown>> {
    this.#activeZone(zone)
    const { issuer, claims } = await checkJwt('owner document', doc, {
      audience: this.domain, trust: () => true, maxTtlSeconds: this.#ownerMaxTtl, now: this.#now
    })
    const z = this.#activeZone(zone)
    if (issuer !== z.owner) throw new SN_ERR_NOT_OWNER(zone)
    if (normalizeName(claims.zone) !== zone) throw new SN_ERR_ZONE_MISMATCH(String(claims.zone), zone)
    return claims
  }

  async putDevices (zone: string, doc: unknown): Promise<{ zone: string, version: number, devices: Array<{ name: string, did: string }> }> {
    const claims = await this.verifyOwnerDoc(zone, doc)
    const list = parseDeviceList(claims, this.#limits.devices)
    const z = this.#activeZone(zone)
    if (list.version <= z.version) throw new SN_ERR_VERSION_STALE(list.version, z.version)
    for (const d of list.devices) {
      const other = this.#state.deviceByDid.get(d.did)
      if (other !== undefined && other.zone !== zone) throw new SN_ERR_DEVICE_CONFLICT(d.did, other.zone)
    }
    const keep = new Set(list.devices.map(d => d.did))
    const removed = [...z.devices.values()].filter(did => !keep.has(did))
    this.#store.tx(() => {
      this.#store.replaceDevices(zone, list.version, list.devices, removed)
      this.#bump()
    })
    for (const did of z.devices.values()) this.#state.deviceByDid.delete(did)
    for (const did of removed) this.#state.reports.delete(did)
    z.devices = new Map(list.devices.map(d => [d.name, d.did]))
    for (const d of list.devices) this.#state.deviceByDid.set(d.did, { zone, name: d.name })
    z.version = list.version
    this.#committed()
    return { zone, version: list.version, devices: list.devices }
  }

  report (did: string, input: ReportInput, now = this.#now()): { zone: string, device: string } {
    const dev = this.#state.deviceByDid.get(did)
    if (dev === undefined) throw new SN_ERR_ZONE_UNKNOWN(`of device ${did}`)
    this.#activeZone(dev.zone)
    const addrs = parseAddrs(input.addrs)
    if (typeof input.direct !== 'boolean') throw new SN_ERR_BAD_REQUEST('"direct" must be a boolean')
    const observed = input.observed === undefined || isIP(input.observed) === 0 ? undefined : canonicalIp(input.observed)
    const before = this.#state.reports.get(did)
    const changed = before === undefined || before.direct !== input.direct || before.observed !== observed ||
      before.addrs.join(',') !== addrs.join(',')
    this.#store.tx(() => {
      this.#store.upsertReport({ did, addrs: JSON.stringify(addrs), observed: observed ?? null, direct: input.direct ? 1 : 0, reported_at: now })
      if (changed) this.#bump()
    })
    this.#state.reports.set(did, { addrs, observed, direct: input.direct, reportedAt: now })
    if (changed) this.#committed()
    return { zone: dev.zone, device: dev.name }
  }

  /** The TXT owner name if `name` lies in the zone or one of its bound domains. */
  #zoneTxtName (z: ZoneState, name: unknown): string {
    const n = normalizeName(name)
    if (n === undefined || !isRecordName(n)) throw new SN_ERR_BAD_REQUEST('"name" must be a DNS name')
    if (isAtOrUnder(n, z.name)) return n
    for (const [domain, d] of z.domains) if (d.verified && isAtOrUnder(n, domain)) return n
    throw new SN_ERR_NAME_OUTSIDE_ZONE(n, z.name)
  }

  setTxt (zone: string, name: unknown, value: unknown): { name: string, value: string } {
    const z = this.#activeZone(zone)
    const n = this.#zoneTxtName(z, name)
    if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > MAX_TXT_VALUE_BYTES) {
      throw new SN_ERR_BAD_REQUEST(`"value" must be a string of 1-${MAX_TXT_VALUE_BYTES} bytes`)
    }
    const existing = this.#state.txt.get(n)
    if (existing !== undefined && existing.zone !== z.name) throw new SN_ERR_NAME_OUTSIDE_ZONE(n, z.name)
    if (existing?.values.includes(value) === true) return { name: n, value }
    if (z.txtCount >= this.#limits.txt) throw new SN_ERR_QUOTA_EXCEEDED(`TXT records of zone ${z.name}`, this.#limits.txt)
    this.#writeTxt(z.name, n, value)
    return { name: n, value }
  }

  removeTxt (zone: string, name: unknown, value: unknown): { name: string, value: string, removed: boolean } {
    const z = this.#activeZone(zone)
    const n = this.#zoneTxtName(z, name)
    if (typeof value !== 'string') throw new SN_ERR_BAD_REQUEST('"value" must be a string')
    const existing = this.#state.txt.get(n)
    if (existing === undefined || existing.zone !== z.name || !existing.values.includes(value)) return { name: n, value, removed: false }
    this.#deleteTxt(n, value)
    return { name: n, value, removed: true }
  }

  #writeTxt (zone: string | null, name: string, value: string): void {
    if (this.#state.txt.get(name)?.values.includes(value) === true) return
    this.#store.tx(() => { this.#store.insertTxt(zone, name, value, this.#now()); this.#bump() })
    this.#state.addTxt(zone, name, value)
    this.#committed()
  }

  #deleteTxt (name: string, value: string): void {
    if (this.#state.txt.get(name)?.values.includes(value) !== true) return
    this.#store.tx(() => { this.#store.deleteTxt(name, value); this.#bump() })
    this.#state.removeTxt(name, value)
    this.#committed()
  }

  claimDomain (zone: string, domain: unknown): { domain: string, challenge: string } {
    const z = this.#activeZone(zone)
    const d = normalizeName(domain)
    if (d === undefined || !isDomainName(d)) throw new SN_ERR_DOMAIN_INVALID(String(domain).slice(0, 80), 'must be a host name of two or more labels')
    this.#checkDomainFree(z, d)
    const existing = z.domains.get(d)
    if (existing !== undefined) return { domain: d, challenge: existing.challenge }
    if (z.domains.size >= this.#limits.domains) throw new SN_ERR_QUOTA_EXCEEDED(`domains of zone ${z.name}`, this.#limits.domains)
    const challenge = randomBytes(24).toString('base64url')
    this.#store.tx(() => this.#store.upsertDomain(z.name, d, challenge, this.#now()))
    z.domains.set(d, { challenge, verified: false })
    return { domain: d, challenge }
  }

  // A domain may not overlap the SN's names or a domain another zone holds.
  #checkDomainFree (z: ZoneState, d: string): void {
    if (isAtOrUnder(d, this.domain) || isUnder(this.domain, d)) throw new SN_ERR_DOMAIN_FORBIDDEN(d, 'it overlaps the SN domain')
    for (const [other, zone] of this.#state.bound) {
      if (zone !== z.name && (isAtOrUnder(d, other) || isUnder(other, d))) throw new SN_ERR_DOMAIN_FORBIDDEN(d, `it overlaps a domain bound to another zone`)
    }
  }

  bindDomain (zone: string, domain: string): void {
    const z = this.#activeZone(zone)
    const claim = z.domains.get(domain)
    if (claim === undefined) throw new SN_ERR_DOMAIN_UNKNOWN(zone, domain)
    if (claim.verified) return
    this.#checkDomainFree(z, domain)
    this.#store.tx(() => { this.#store.setDomainVerified(z.name, domain); this.#bump() })
    claim.verified = true
    this.#state.bound.set(domain, z.name)
    this.#committed()
  }

  /** The challenge value of a claimed domain (404 when the zone never claimed it). */
  domainChallenge (zone: string, domain: string): { challenge: string, verified: boolean } {
    const claim = this.#activeZone(zone).domains.get(domain)
    if (claim === undefined) throw new SN_ERR_DOMAIN_UNKNOWN(zone, domain)
    return { ...claim }
  }

  expireStale (now = this.#now()): number {
    const cutoff = now - this.#reportTtlMs
    const stale = [...this.#state.reports].filter(([, r]) => r.reportedAt < cutoff).map(([did]) => did)
    if (stale.length === 0) return 0
    this.#store.tx(() => { this.#store.deleteReportsBefore(cutoff); this.#bump() })
    for (const did of stale) this.#state.reports.delete(did)
    this.#committed()
    return stale.length
  }

  dnsView (): RegistryDnsView {
    return this.#state.dnsView(this.domain, () => this.#serial)
  }

  close (): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#store.close()
  }
}
