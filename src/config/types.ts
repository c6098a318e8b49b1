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

export interface GatewayConfig {
  role: 'gateway'
  file: string
  device: DeviceConfig
  rtcp: RtcpConfig
  stacks: StackConfig[]
  /** Every chain, including the ones made for `forward:` stacks, by name. */
  chains: ChainSpec[]
  control?: ControlConfig
  accessLog: AccessLogConfig
  log: LogConfig
}

export interface SnConfig {
  role: 'sn'
  file: string
  device: DeviceConfig
  rtcp: RtcpConfig
  log: LogConfig
}

export type AnyConfig = GatewayConfig | SnConfig
