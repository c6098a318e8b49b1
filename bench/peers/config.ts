import type { RtcpConfig } from '../../src/config/types.ts'

/** rtcp settings for benchmark clients: the same defaults a config file gets. */
export function benchRtcpConfig (over: Partial<RtcpConfig> = {}): RtcpConfig {
  return {
    listen: [],
    trust: { devices: [], allowAny: false },
    peers: [],
    targets: 'loopback',
    limits: {
      maxStreamsPerTunnel: 4096,
      maxPendingHandshakes: 64,
      handshakeTimeoutMs: 10_000,
      handshakeRatePerIp: 1000,
      streamOpenRate: 100_000,
      streamBufferBytes: 4 * 1024 * 1024,
      streamOpenTimeoutMs: 10_000
    },
    keepalive: { intervalMs: 5000, timeoutMs: 5000 },
    reconnect: { initialMs: 250, maxMs: 5000 },
    relay: { enabled: false, listen: '127.0.0.1:0', pendingTimeoutMs: 10_000, maxRelayedConnections: 16 },
    ...over
  }
}
