// The SN registry's public shape: operator functions, admission, lookups for ingress and DNS, and
// the operations behind the HTTP API (api/ authenticates requests and calls these).

export interface DeviceView { name: string, did: string, addrs: string[], observed?: string, direct: boolean, reportedAt?: number }

export interface ZoneView {
  zone: string
  owner: string
  /** Registered, not switched off and not on the denylist. */
  active: boolean
  devices: DeviceView[]
}

export interface InviteInfo { code: string, uses: number, used: number, closed: boolean, expiresAt?: number, note?: string }

/** Key-value persistence for the SN's own ACME account and certificates (H2's AcmeStateStore). */
export interface AcmeStateStore { get (key: string): string | undefined, set (key: string, value: string): void, delete (key: string): void }

/** What records.ts needs to answer DNS; every method is O(1) or O(labels) on in-memory indexes. */
export interface RegistryDnsView {
  domain: string
  /** Increases on every change that can alter a DNS answer (persisted). */
  serial (): number
  /** An active zone by exact name. */
  zone (name: string): ZoneView | undefined
  /** True when some active zone is registered (they all sit under the SN domain). */
  hasZones (): boolean
  /** Verified custom domain → its zone (active or not; callers check). */
  boundDomains (): ReadonlyMap<string, string>
  /** TXT values at exactly `name` (zone records of active zones and the SN's own). */
  txt (name: string): readonly string[] | undefined
  /** True when a TXT owner lies strictly below `name`. */
  txtHasDescendants (name: string): boolean
}

export interface ReportInput { addrs: string[], observed?: string, direct: boolean }

export interface SnRegistry {
  readonly domain: string
  // operator
  createInvite (options?: { uses?: number, expiresAt?: number, note?: string }): { code: string }
  closeInvite (code: string): boolean
  listInvites (): InviteInfo[]
  setRegistrationOpen (open: boolean): void
  registrationOpen (): boolean
  deny (kind: 'zone' | 'device', id: string): void
  allow (kind: 'zone' | 'device', id: string): void
  isDenied (kind: 'zone' | 'device', id: string): boolean
  // admission: O(1), called by the rtcp gater per handshake
  isAdmitted (did: string): boolean
  // lookups
  zoneOf (hostname: string): ZoneView | undefined
  /** The zone and device name of a listed device (whatever its admission). */
  deviceOf (did: string): { zone: string, name: string } | undefined
  /** Public facts about a zone, or undefined when unknown. */
  zoneInfo (zone: string): { zone: string, devices: Array<{ name: string, did: string }>, domains: string[], active: boolean } | undefined
  // SN's own ACME
  setOwnTxt (name: string, value: string): void
  removeOwnTxt (name: string, value: string): void
  setHttpChallenge (token: string, keyAuth: string): void
  removeHttpChallenge (token: string): void
  httpChallenge (token: string): string | undefined
  acmeState (): AcmeStateStore
  // API operations; documents are owner-signed JWTs, checked here
  registerZone (invite: unknown, proof: unknown): Promise<{ zone: string, owner: string }>
  putDevices (zone: string, doc: unknown): Promise<{ zone: string, version: number, devices: Array<{ name: string, did: string }> }>
  /** Checks an owner-signed document for `zone`; answers its claims. */
  verifyOwnerDoc (zone: string, doc: unknown): Promise<Record<string, unknown>>
  report (did: string, input: ReportInput, now?: number): { zone: string, device: string }
  setTxt (zone: string, name: unknown, value: unknown): { name: string, value: string }
  removeTxt (zone: string, name: unknown, value: unknown): { name: string, value: string, removed: boolean }
  claimDomain (zone: string, domain: unknown): { domain: string, challenge: string }
  bindDomain (zone: string, domain: string): void
  /** The challenge of a domain the zone claimed (SN_ERR_DOMAIN_UNKNOWN otherwise). */
  domainChallenge (zone: string, domain: string): { challenge: string, verified: boolean }
  expireStale (now?: number): number
  dnsView (): RegistryDnsView
  close (): void
}

export interface SnRegistryInit {
  /** sqlite path; ':memory:' works (nothing survives close). */
  file: string
  /** The SN's domain, e.g. "sn.test": zones are `<label>.<domain>`, and the audience of tokens. */
  domain: string
  /** Zone labels nobody may register besides the usual ones (ns*, www, sn, api, ...): the SN's own host names. */
  reservedLabels?: string[]
  /** Registration open when the store has no setting yet (default true). */
  registrationOpen?: boolean
  /** A device report older than this drops out of DNS (default 15 min). */
  reportTtlMs?: number
  /** How often the registry itself calls expireStale (default reportTtlMs / 4, at most 60 s; 0 = never). */
  expireEveryMs?: number
  /** Longest lifetime accepted on owner-signed documents (default 3600 s). */
  ownerMaxTtlSeconds?: number
  maxDevicesPerZone?: number
  maxTxtPerZone?: number
  maxDomainsPerZone?: number
  maxZonesPerOwner?: number
  now?: () => number
}
