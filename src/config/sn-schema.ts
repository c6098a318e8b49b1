// YAML shape of the SN's own section (`sn:` in an SN config), of a zone gateway's link to its SN
// (`sn:` in a gateway config), and of `acme:` (either role). Kept apart from schema.ts so each
// file stays about one thing; schema.ts puts them in the right role's file shape.
import { Type, type TSchema } from '@sinclair/typebox'
import { DURATION_PATTERN } from './units.ts'
import { EXPECT, closed } from './schema-keywords.ts'

const HOST_NAME = '^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$'
const HostName = (description: string): TSchema => Type.String({ pattern: HOST_NAME, [EXPECT]: 'a lower-case DNS name such as "sn.example.net"', description })
const Duration = (description: string, def: string): TSchema => Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: DURATION_PATTERN })],
  { description, default: def, [EXPECT]: 'a duration such as "60s", "5m" or a number of milliseconds' })
// Shape only; normalize checks each with net.isIP.
const IP_PATTERN = '^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$'
const Ip = (description: string): TSchema => Type.String({ pattern: IP_PATTERN, [EXPECT]: 'an IPv4 or IPv6 address', description })
const HostPort = (description: string): TSchema => Type.String({ minLength: 3, description })
const Count = (description: string, def: number): TSchema => Type.Integer({ minimum: 1, default: def, description, [EXPECT]: 'a whole number of at least 1' })

/** `sn:` of an SN config. */
export const SnSectionSchema = Type.Object({
  domain: HostName('The SN\'s DNS domain. Zones are named <label>.<domain>; tokens are issued for this audience.'),
  store: Type.Optional(Type.String({ minLength: 1, default: './sn-state.db', description: 'The SN\'s database file (node:sqlite), relative to this file: zones, devices, records, ACME state.' })),
  public_addrs: Type.Array(Ip('A public address of the SN.'), { minItems: 1, description: 'The SN\'s public IP addresses: its own names and every zone that is not directly reachable resolve here.' }),
  names: Type.Optional(Type.Record(Type.String({ pattern: HOST_NAME }), Type.Array(Ip('An address.'), { minItems: 1 }), { default: {}, description: 'More names of the SN itself and their addresses (the domain itself always resolves to public_addrs).' })),
  ns: Type.Optional(Type.Array(Type.String({ pattern: HOST_NAME }), { minItems: 1, description: 'Name servers of the domain (NS records). Default: ns1.<domain> at public_addrs.' })),
  admin_email: Type.Optional(Type.String({ minLength: 3, default: 'hostmaster', description: 'The SOA responsible mailbox, as a name ("hostmaster" means hostmaster.<domain>).' })),
  dns: Type.Optional(Type.Object({
    listen: Type.Array(HostPort('IP:port for DNS over UDP and TCP (53 in production).'), { minItems: 1 }),
    ttl: Duration('TTL of answers from zones\' records.', '60s')
  }, { ...closed, description: 'The authoritative DNS server.' })),
  registration: Type.Optional(Type.Object({
    open: Type.Optional(Type.Boolean({ default: true, description: 'Accept new zones (with an invitation code). Operators can also close it at run time: zonegate sn registration close.' }))
  }, { ...closed, default: {}, description: 'Zone registration.' })),
  report_ttl: Duration('A device\'s address report is dropped from DNS this long after it was made.', '5m'),
  resolver: Type.Optional(HostPort('IP:port of a DNS resolver used to check custom domains\' challenge records.')),
  limits: Type.Optional(Type.Object({
    registrations_per_minute: Type.Optional(Count('Zone registrations per client IP per minute.', 5)),
    record_changes_per_minute: Type.Optional(Count('Address reports and TXT changes per zone per minute.', 60)),
    tunnels_per_zone_per_minute: Type.Optional(Count('New tunnels per zone per minute.', 60)),
    zones_per_owner: Type.Optional(Count('Zones one owner key may register.', 8)),
    devices_per_zone: Type.Optional(Count('Devices in one zone\'s signed list.', 64)),
    txt_per_zone: Type.Optional(Count('TXT records one zone may publish at once.', 64)),
    domains_per_zone: Type.Optional(Count('Custom domains one zone may claim.', 8))
  }, { ...closed, default: {}, description: 'Abuse controls.' }))
}, { ...closed, description: 'What makes this process an SN: its domain, DNS, registration and ingress.' })

/** `sn:` of a gateway config: the zone this gateway belongs to and the SN that serves it. */
export const ZoneLinkSchema = Type.Object({
  url: Type.String({ pattern: '^https?://', [EXPECT]: 'an https:// URL', description: 'The SN\'s API, e.g. https://sn.example.net.' }),
  domain: HostName('The SN\'s domain (the audience of this device\'s tokens).'),
  zone: HostName('This gateway\'s zone, e.g. alice.sn.example.net.'),
  ca: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of a CA to trust for the SN\'s API, relative to this file (a private or test CA).' })),
  connect: Type.Optional(HostPort('IP:port to connect to for the API instead of resolving the URL\'s host, as curl --resolve does (an SN whose name is not in public DNS yet, tests).')),
  dns: Type.Optional(HostPort('IP:port of the SN\'s DNS, asked while a dns-01 challenge waits to be visible.')),
  report_interval: Duration('How often this device reports its addresses.', '60s'),
  direct: Type.Optional(Type.Boolean({ default: false, description: 'This device is reachable from the Internet at its own addresses: DNS points at it instead of the SN.' })),
  addrs: Type.Optional(Type.Array(Ip('An address.'), { description: 'Addresses to report. Default: this machine\'s non-internal interface addresses.' }))
}, { ...closed, description: 'The zone and SN this gateway belongs to: address reports (DDNS) and dns-01 through the SN.' })

/** `acme:` of either role. */
export const AcmeSchema = Type.Object({
  directory: Type.String({ pattern: '^https://', [EXPECT]: 'an https:// URL', description: 'The ACME directory URL of the CA.' }),
  ca: Type.Optional(Type.String({ minLength: 1, description: 'PEM file of a CA to trust for the ACME server\'s HTTPS (a test CA such as pebble\'s), relative to this file.' })),
  email: Type.Optional(Type.String({ minLength: 3, description: 'Contact for the ACME account.' })),
  state: Type.Optional(Type.String({ minLength: 1, description: 'Directory for the account key, certificates and order state, relative to this file (a gateway; an SN keeps them in its store).' })),
  renew_before: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: DURATION_PATTERN })], { [EXPECT]: 'a duration such as "720h"', description: 'Renew this long before expiry. Default: a third of the certificate\'s lifetime; ACME Renewal Information wins when the CA offers it.' })),
  certificates: Type.Array(Type.Object({
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', [EXPECT]: 'a lower-case name such as "zone" or "www"', description: 'Name of the certificate; tls_terminate routes use it as acme: <id>.' }),
    names: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'Host names, wildcards as "*.zone".' }),
    challenge: Type.Optional(Type.Union([Type.Literal('dns-01'), Type.Literal('http-01')], { default: 'dns-01', description: 'dns-01 (a gateway: through its SN; an SN: its own DNS) or http-01 (an SN on its port 80).' }))
  }, closed), { minItems: 1, description: 'Certificates to obtain and keep renewed.' })
}, { ...closed, description: 'Certificates from an ACME CA (Let\'s Encrypt, or pebble in tests).' })
