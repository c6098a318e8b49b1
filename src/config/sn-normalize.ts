// The `sn:` and `acme:` sections from schema-valid YAML to the typed config (see sn-schema.ts).
import { resolve } from 'node:path'
import type { AcmeConfig, SnSectionConfig, SysconfigConfig, ZoneLinkConfig } from './types.ts'
import { parseDuration } from './units.ts'

const ms = (v: number | string): number => parseDuration(v) as number

interface RawSn {
  domain: string
  store: string
  public_addrs: string[]
  names: Record<string, string[]>
  ns?: string[]
  admin_email: string
  dns?: { listen: string[], ttl: number | string }
  registration: { open: boolean }
  report_ttl: number | string
  resolver?: string
  limits: {
    registrations_per_minute: number, record_changes_per_minute: number, tunnels_per_zone_per_minute: number
    zones_per_owner: number, devices_per_zone: number, txt_per_zone: number, domains_per_zone: number
  }
}

export function normalizeSnSection (raw: RawSn, dir: string): SnSectionConfig {
  const ns = raw.ns ?? [`ns1.${raw.domain}`]
  const names: Record<string, string[]> = { [raw.domain]: [...raw.public_addrs] }
  // Name servers inside our own domain need addresses (glue); default them to the SN's.
  for (const n of ns) if (n === raw.domain || n.endsWith(`.${raw.domain}`)) names[n] = [...raw.public_addrs]
  for (const [name, addrs] of Object.entries(raw.names)) names[name] = [...addrs]
  const admin = raw.admin_email.includes('@')
    ? raw.admin_email.replace('@', '.')
    : raw.admin_email.includes('.') ? raw.admin_email : `${raw.admin_email}.${raw.domain}`
  return {
    domain: raw.domain,
    storeFile: resolve(dir, raw.store),
    publicAddrs: [...raw.public_addrs],
    names,
    ns,
    admin,
    ...(raw.dns != null ? { dns: { listen: [...raw.dns.listen], ttlSeconds: Math.max(1, Math.round(ms(raw.dns.ttl) / 1000)) } } : {}),
    registrationOpen: raw.registration.open,
    reportTtlMs: ms(raw.report_ttl),
    ...(raw.resolver != null ? { resolver: raw.resolver } : {}),
    limits: {
      registrationsPerMinute: raw.limits.registrations_per_minute,
      recordChangesPerMinute: raw.limits.record_changes_per_minute,
      tunnelsPerZonePerMinute: raw.limits.tunnels_per_zone_per_minute,
      zonesPerOwner: raw.limits.zones_per_owner,
      devicesPerZone: raw.limits.devices_per_zone,
      txtPerZone: raw.limits.txt_per_zone,
      domainsPerZone: raw.limits.domains_per_zone
    }
  }
}

interface RawZoneLink {
  url: string
  domain: string
  zone: string
  ca?: string
  connect?: string
  dns?: string
  report_interval: number | string
  direct: boolean
  addrs?: string[]
}

export function normalizeZoneLink (raw: RawZoneLink, dir: string): ZoneLinkConfig {
  return {
    url: raw.url.replace(/\/+$/, ''),
    domain: raw.domain,
    zone: raw.zone,
    ...(raw.ca != null ? { caFile: resolve(dir, raw.ca) } : {}),
    ...(raw.connect != null ? { connect: raw.connect } : {}),
    ...(raw.dns != null ? { dns: raw.dns } : {}),
    reportIntervalMs: ms(raw.report_interval),
    direct: raw.direct,
    ...(raw.addrs != null ? { addrs: [...raw.addrs] } : {})
  }
}

interface RawAcme {
  directory: string
  ca?: string
  email?: string
  state?: string
  renew_before?: number | string
  certificates: Array<{ id: string, names: string[], challenge: 'dns-01' | 'http-01' }>
}

export function normalizeAcme (raw: RawAcme, dir: string): AcmeConfig {
  return {
    directory: raw.directory,
    ...(raw.ca != null ? { caFile: resolve(dir, raw.ca) } : {}),
    ...(raw.email != null ? { email: raw.email } : {}),
    ...(raw.state != null ? { stateDir: resolve(dir, raw.state) } : {}),
    ...(raw.renew_before != null ? { renewBeforeMs: ms(raw.renew_before) } : {}),
    certificates: raw.certificates.map(c => ({ id: c.id, names: c.names.map(n => n.toLowerCase()), challenge: c.challenge }))
  }
}

interface RawSysconfig {
  zone: string
  owner: string
  node: string
  devices?: Record<string, string>
  url?: string
  serve?: { backend: 'sqlite' | 'etcd', file: string, etcd?: { endpoints: string[], prefix: string }, listen?: string, verify_hub: boolean }
}


/** `devices` holds the listed devices; the gateway adds this device when it knows its key. */
export function normalizeSysconfig (raw: RawSysconfig, dir: string): SysconfigConfig {
  // No default from rtcp.peers: a peer may be an SN, run by someone else, and a device here can
  // read and write the zone's configuration. The zone's devices are listed by name, or it is
  // this device alone.
  const devices = { ...(raw.devices ?? {}) }
  return {
    zone: raw.zone,
    owner: raw.owner,
    node: raw.node,
    devices,
    ...(raw.url != null ? { url: raw.url } : {}),
    ...(raw.serve != null
      ? {
          serve: {
            backend: raw.serve.backend,
            file: resolve(dir, raw.serve.file),
            ...(raw.serve.etcd != null ? { etcd: { endpoints: [...raw.serve.etcd.endpoints], prefix: raw.serve.etcd.prefix } } : {}),
            ...(raw.serve.listen != null ? { listen: raw.serve.listen } : {}),
            verifyHub: raw.serve.verify_hub
          }
        }
      : {})
  }
}
