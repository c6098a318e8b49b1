// Every limit and timeout of the rtcp section: its YAML name, default and what it bounds. The
// schema takes defaults and descriptions from here, and a test checks that docs/limits.md has a
// row for each, so the three never drift apart.

export type LimitKind = 'count' | 'duration' | 'size'

export interface LimitSpec {
  /** Dotted YAML path under `rtcp` (snake_case). */
  readonly key: string
  readonly kind: LimitKind
  /** YAML spelling of the default (a number, "10s", "4MiB"). */
  readonly default: number | string
  readonly description: string
}

export const RTCP_LIMITS: readonly LimitSpec[] = Object.freeze([
  { key: 'limits.max_streams_per_tunnel', kind: 'count', default: 4096, description: 'Concurrent streams on one tunnel, in each direction (yamux and the stream protocol handler).' },
  { key: 'limits.max_pending_handshakes', kind: 'count', default: 64, description: 'Inbound connections still in their handshake (TCP + Noise + yamux) at once; more are refused.' },
  { key: 'limits.handshake_timeout', kind: 'duration', default: '10s', description: 'Deadline for the handshake of one inbound or outbound connection, and for dialing a peer.' },
  { key: 'limits.handshake_rate_per_ip', kind: 'count', default: 20, description: 'New inbound connections per second accepted from one IP address.' },
  { key: 'limits.stream_open_rate', kind: 'count', default: 2000, description: 'New streams per second a peer may open on one tunnel (token bucket, burst of the same size).' },
  { key: 'limits.stream_buffer', kind: 'size', default: '4MiB', description: 'Bytes buffered per stream in each direction (the yamux receive window); bounds memory per slow reader.' },
  { key: 'limits.stream_open_timeout', kind: 'duration', default: '10s', description: 'Deadline for a new stream\'s open header to arrive and its result to come back.' },
  { key: 'keepalive.interval', kind: 'duration', default: '5s', description: 'Time between pings on a kept tunnel.' },
  { key: 'keepalive.timeout', kind: 'duration', default: '5s', description: 'A ping not answered within this time marks the tunnel dead and starts a reconnect.' },
  { key: 'reconnect.initial', kind: 'duration', default: '250ms', description: 'First delay before redialing a kept peer; doubles after each failure.' },
  { key: 'reconnect.max', kind: 'duration', default: '5s', description: 'Cap on the redial delay; reconnecting never gives up.' },
  { key: 'relay.pending_timeout', kind: 'duration', default: '10s', description: 'How long a relayed session waits for both devices to reach the relay port, and a connection there for its token.' },
  { key: 'relay.max_relayed_connections', kind: 'count', default: 4096, description: 'Concurrent relayed device-to-device connections through this node.' }
] satisfies LimitSpec[])
