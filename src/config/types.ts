// Normalized configuration, after YAML parsing, schema validation and defaults. YAML keys are
// snake_case and durations/sizes are strings ("15s", "4MiB"); here keys are camelCase, durations
// are milliseconds and sizes are bytes. Paths are absolute (resolved against the config file).
// The mapping lives once in src/config/normalize.ts (chains: chain-normalize.ts).
import type { ChainSpec } from '../chain/types.ts'

export interface DeviceConfig {
  /** Absolute path of the device's Ed25519 private key (PKCS#8 PEM). */
  keyFile: string
}

export interface RtcpPeerConfig {
  /** The name used in rtcp://<name>/... URLs. */
  name: string
  /** did:dev:<base64url Ed25519 public key> */
  did: string
  /** host:port addresses to dial directly ([v6]:port for IPv6). May be empty. */
  addrs: string[]
  /** Name of a peer (an SN) through which this peer can be reached when no direct path works. */
  via?: string
  /** socks://[user:pass@]host:port: dial `addrs` through this SOCKS5 proxy (a corporate network). */
  proxy?: string
  /** Dial at start and keep the tunnel up forever. */
  keep: boolean
}

export interface RtcpLimits {
  /** Concurrent streams on one tunnel, each direction (yamux and protocol handler). */
  maxStreamsPerTunnel: number
  /** Inbound connections in handshake at once. */
  maxPendingHandshakes: number
  /** Deadline for TCP + Noise + yamux of one inbound or outbound connection. */
  handshakeTimeoutMs: number
  /** New inbound connections per second from one IP address. */
  handshakeRatePerIp: number
  /** New streams per second on one tunnel (token bucket, burst = the same number). */
  streamOpenRate: number
  /** Bytes buffered per stream in each direction (the yamux window). */
  streamBufferBytes: number
  /** Deadline for a stream's open header and result. */
  streamOpenTimeoutMs: number
}

export interface RtcpKeepalive {
  intervalMs: number
  timeoutMs: number
}

export interface RtcpReconnect {
  initialMs: number
  maxMs: number
}

export type TargetPolicy = 'loopback' | 'any' | 'none'

export interface RtcpConfig {
  /** host:port addresses to accept tunnels on. Empty: dial out only. */
  listen: string[]
  trust: {
    /** did:dev strings or names of configured peers. */
    devices: string[]
    allowAny: boolean
  }
  peers: RtcpPeerConfig[]
  limits: RtcpLimits
  keepalive: RtcpKeepalive
  reconnect: RtcpReconnect
  /** What a remote device may ask this node to connect to: loopback ports only, any host, nothing. */
  targets: TargetPolicy
  relay: {
    /** Serve as a relay for trusted devices (an SN). */
    enabled: boolean
    /** host:port of the relay port where devices' connections are spliced (port 0: any). */
    listen: string
    /** How long a relayed session waits for both devices, and a socket for its token. */
    pendingTimeoutMs: number
    /** Concurrent relayed connections through this node. */
    maxRelayedConnections: number
  }
}

export interface StackConfig {
  id: string
  /** host:port to listen on (TCP), or a tunnel listen URL (rtcp://local/<name>). */
  listen: string
  /** The chain every connection enters. A stack written with `forward: URL` gets a chain of its own named "stack:<id>". */
  chain: string
  /** Present for a SOCKS5 stack. */
  socks?: SocksStackConfig
}

export interface SocksStackConfig {
  /** Absolute path of a user:password file. */
  usersFile?: string
  /** Name of an environment variable with user:password lines. */
  usersEnv?: string
  allowOpenProxy: boolean
  handshakeTimeoutMs: number
  connectTimeoutMs: number
  maxSessionsPerClient: number
  udpIdleTimeoutMs: number
}

export interface ControlConfig {
  /** Loopback host:port of the control API. */
  listen: string
  /** Absolute path of the file holding the API token. */
  tokenFile: string
}

export interface AccessLogConfig {
  enabled: boolean
  /** Absolute path; absent: access lines go to the main log. */
  file?: string
}

export interface LogConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
}

export interface AcmeCertificateConfig {
  id: string
  names: string[]
  challenge: 'dns-01' | 'http-01'
}

export interface AcmeConfig {
  directory: string
  /** Absolute path of a PEM CA bundle trusted for the ACME server's HTTPS. */
  caFile?: string
  email?: string
  /** Absolute path of the state directory (gateway). */
  stateDir?: string
  renewBeforeMs?: number
  certificates: AcmeCertificateConfig[]
}

/** A gateway's link to its zone's SN. */
export interface ZoneLinkConfig {
  url: string
  domain: string
  zone: string
  caFile?: string
  /** IP:port to connect to instead of resolving the URL's host. */
  connect?: string
  /** host:port of the SN's DNS. */
  dns?: string
  reportIntervalMs: number
  direct: boolean
  addrs?: string[]
}

/** The SN's own section. */
export interface SnSectionConfig {
  domain: string
  /** Absolute path of the sqlite file. */
  storeFile: string
  publicAddrs: string[]
  /** The SN's own names → addresses, the domain itself and the NS names included. */
  names: Record<string, string[]>
  ns: string[]
  /** SOA mailbox as a DNS name. */
  admin: string
  dns?: { listen: string[], ttlSeconds: number }
  registrationOpen: boolean
  reportTtlMs: number
  resolver?: string
  limits: {
    registrationsPerMinute: number
    recordChangesPerMinute: number
    tunnelsPerZonePerMinute: number
    zonesPerOwner: number
    devicesPerZone: number
    txtPerZone: number
    domainsPerZone: number
  }
}

/** What both roles share: identity, tunnels, listeners and chains, control, logs, certificates. */
interface ProcessConfig {
  file: string
  device: DeviceConfig
  rtcp: RtcpConfig
  stacks: StackConfig[]
  /** Every chain, including the ones made for `forward:` stacks, by name. */
  chains: ChainSpec[]
  control?: ControlConfig
  accessLog: AccessLogConfig
  log: LogConfig
  acme?: AcmeConfig
}

/** The zone's system-config as a gateway sees it: served here, or reached at a URL. */
export interface SysconfigConfig {
  zone: string
  owner: string
  node: string
  /** Node name → did:dev of the zone's devices (this one included). */
  devices: Record<string, string>
  url?: string
  serve?: {
    backend: 'sqlite' | 'etcd'
    /** Absolute path of the sqlite file. */
    file: string
    etcd?: { endpoints: string[], prefix: string }
    listen?: string
    verifyHub: boolean
  }
}

export interface GatewayConfig extends ProcessConfig {
  role: 'gateway'
  sn?: ZoneLinkConfig
  sysconfig?: SysconfigConfig
}

export interface SnConfig extends ProcessConfig {
  role: 'sn'
  /** Absent: a plain relay for the devices its rtcp trust list names. */
  sn?: SnSectionConfig
}

export type AnyConfig = GatewayConfig | SnConfig
