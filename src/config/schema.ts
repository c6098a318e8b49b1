// The YAML shape of gateway and SN config files as TypeBox schemas: validated by Ajv at load and
// published as JSON Schema (configs/schema/*.schema.json) for editors. Keys are snake_case as
// written in YAML; `additionalProperties: false` everywhere so a misspelt key is an error, not a
// silently ignored setting. `x-expect` is our annotation: the phrase error messages use.
import { Type, type TSchema, type TObject } from '@sinclair/typebox'
import { DID_PATTERN } from '../identity/did.ts'
import { RTCP_LIMITS, type LimitSpec } from './limits.ts'
import { DURATION_PATTERN, SIZE_PATTERN } from './units.ts'
import { EXPECT, closed } from './schema-keywords.ts'
import { AccessLogSchema, ChainSchema, ControlSchema, StackSchema } from './chain-schema.ts'
import { AcmeSchema, SnSectionSchema, ZoneLinkSchema } from './sn-schema.ts'
import { SysconfigSchema } from './sysconfig-schema.ts'

export type Role = 'gateway' | 'sn'
export const ROLES: readonly Role[] = Object.freeze(['gateway', 'sn'])
export { EXPECT }
export const LOG_LEVELS = Object.freeze(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)
export const TARGET_POLICIES = Object.freeze(['loopback', 'any', 'none'] as const)
export const FORWARD_SCHEMES = Object.freeze(['tcp', 'tls', 'rtcp', 'socks', 'mem', 'internal', 'service'] as const)


function enumOf<T extends string> (values: readonly T[], options: Record<string, unknown>): TSchema {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...options })
}

function limitSchema (l: LimitSpec): TSchema {
  const common = { description: l.description, default: l.default }
  switch (l.kind) {
    case 'count':
      return Type.Integer({ minimum: 1, ...common, [EXPECT]: 'a whole number of at least 1' })
    case 'duration':
      return Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: DURATION_PATTERN })],
        { ...common, [EXPECT]: 'a duration such as "10s", "250ms", "2m" or a number of milliseconds' })
    case 'size':
      return Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: SIZE_PATTERN })],
        { ...common, [EXPECT]: 'a size such as "4MiB", "64KiB" or a number of bytes' })
  }
}

/** The limits under one rtcp section ("limits", "keepalive", ...), all optional with defaults. */
function limitSection (section: string, description: string, extra: Record<string, TSchema> = {}): TSchema {
  const props: Record<string, TSchema> = { ...extra }
  for (const l of RTCP_LIMITS) {
    if (l.key.startsWith(section + '.')) props[l.key.slice(section.length + 1)] = Type.Optional(limitSchema(l))
  }
  return Type.Optional(Type.Object(props, { ...closed, default: {}, description }))
}

const Did = Type.String({ pattern: DID_PATTERN, [EXPECT]: 'a did:dev:<base64url> string', description: 'A device id: did:dev: and the base64url Ed25519 public key (as printed by zonegate keygen).' })
const Address = (description: string): TSchema => Type.String({ minLength: 1, description })

const Peer = Type.Object({
  did: Did,
  addrs: Type.Optional(Type.Array(Address('host:port to dial ([v6]:port for IPv6).'), { default: [], description: 'Addresses to dial this peer at directly.' })),
  via: Type.Optional(Type.String({ minLength: 1, description: 'Name of another peer (an SN) that relays to this one when there is no direct path.' })),
  proxy: Type.Optional(Type.String({ minLength: 1, description: 'socks://[user:pass@]host:port: dial addrs through this SOCKS5 proxy, e.g. to reach an SN from a corporate network.' })),
  keep: Type.Optional(Type.Boolean({ default: false, description: 'Dial at start and keep the tunnel up forever.' }))
}, { ...closed, description: 'A device this node knows by name: rtcp://<name>/... URLs and trust lists may use the name.' })

function rtcpSchema (role: Role): TSchema {
  const listenItem = Address('IP:port to accept tunnels on; port 0 picks a free port.')
  const listen = role === 'sn'
    ? Type.Array(listenItem, { minItems: 1, description: 'Addresses to accept device tunnels on (required for an SN).' })
    : Type.Optional(Type.Array(listenItem, { default: [], description: 'Addresses to accept tunnels on; omit or [] to only dial out.' }))
  const props: Record<string, TSchema> = {
    listen,
    trust: Type.Optional(Type.Object({
      devices: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'did:dev ids, or names of configured peers, allowed to open a tunnel to this node.' })),
      allow_any: Type.Optional(Type.Boolean({ default: false, description: 'Accept tunnels from any device key. Only for open relays and tests.' }))
    }, { ...closed, default: {}, description: 'Which devices may open tunnels to this node.' })),
    targets: Type.Optional(enumOf(TARGET_POLICIES, { default: 'loopback', description: 'What remote devices may ask this node to connect to: loopback ports only, any host, or nothing.' })),
    peers: Type.Optional(Type.Object({}, { additionalProperties: Peer, default: {}, description: 'Devices this node knows, by name.' })),
    limits: limitSection('limits', 'Bounds on tunnels and streams; see docs/limits.md.'),
    keepalive: limitSection('keepalive', 'Liveness pings on kept tunnels.'),
    reconnect: limitSection('reconnect', 'Redial backoff for kept peers (exponential, capped, never gives up).'),
    relay: limitSection('relay', 'Relaying between other devices (what an SN does).', {
      enabled: Type.Optional(Type.Boolean({ default: role === 'sn', description: 'Relay streams between trusted devices. Default: true for an SN, false for a gateway.' })),
      listen: Type.Optional(Address('IP:port of the relay port, where two devices\' connections are spliced together. Default: the host of the first rtcp.listen address, port 0 (any free port; devices learn it through their tunnel).'))
    })
  }
  const description = 'rtcp tunnels: listeners, trusted devices, known peers and limits.'
  // An SN must say where it listens, so its rtcp section has no default to fall back on.
  return role === 'sn'
    ? Type.Object(props, { ...closed, description })
    : Type.Optional(Type.Object(props, { ...closed, default: {}, description }))
}

/** The schema of a whole config file for `role`. */
export function configSchema (role: Role): TObject {
  const props: Record<string, TSchema> = {
    role: Type.Optional(Type.Literal(role, { description: 'Which process this file configures; may be left out when the subcommand says it.' })),
    device: Type.Object({
      key: Type.String({ minLength: 1, description: 'Path of the device\'s Ed25519 private key (PKCS#8 PEM), relative to this file. Make one with zonegate keygen.' })
    }, { ...closed, description: 'This device\'s identity.' }),
    log: Type.Optional(Type.Object({
      level: Type.Optional(enumOf(LOG_LEVELS, { default: 'info', description: 'Lowest level written (JSON lines on stdout).' }))
    }, { ...closed, default: {}, description: 'Logging.' })),
    rtcp: rtcpSchema(role)
  }
  // Both roles route connections through chains: an SN's public 80/443 ingress is a chain too.
  {
    props.stacks = Type.Optional(Type.Array(StackSchema, { default: [], description: 'Listeners and the chains their connections enter.' }))
    props.chains = Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }), ChainSchema, { default: {}, description: 'Processing chains by name: probe, match, process, post_resp_filter (docs/chain.md).' }))
    props.control = Type.Optional(ControlSchema)
    props.access_log = Type.Optional(AccessLogSchema)
    props.acme = Type.Optional(AcmeSchema)
  }
  // Without `sn:` an SN is a plain relay for the devices its rtcp trust list names.
  if (role === 'sn') props.sn = Type.Optional(SnSectionSchema)
  else {
    props.sn = Type.Optional(ZoneLinkSchema)
    props.sysconfig = Type.Optional(SysconfigSchema)
  }
  return Type.Object(props, {
    ...closed,
    title: role === 'sn' ? 'zonegate SN config' : 'zonegate gateway config',
    description: role === 'sn' ? 'Config of `zonegate sn`: a super node: relay, authoritative DNS, registration, DDNS, ACME and public ingress.' : 'Config of `zonegate gateway`: a node\'s listeners and tunnels.'
  })
}

/** The published JSON Schema text for `role` (what scripts/gen-schema.ts writes). */
export function jsonSchemaText (role: Role): string {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...configSchema(role)
  }
  return JSON.stringify(schema, null, 2) + '\n'
}
