// Builds the libp2p host behind an rtcp node: TCP transport, Noise XX (mutual authentication by
// device key), yamux multiplexing, and circuit relay v2 both as a client (reach a device through
// an SN) and, on an SN, as a server. Every libp2p default that caps our use is set from our limits.
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { ConnectionGater, PrivateKey } from '@libp2p/interface'
import type { RtcpConfig } from '../config/types.ts'
import { tcpMultiaddr } from './peer-book.ts'

export const RTCP_PROTOCOL = '/zonegate/rtcp/1.0.0'

export interface HostInit {
  privateKey: PrivateKey
  config: RtcpConfig
  gater: ConnectionGater
}

export async function createHost ({ privateKey, config, gater }: HostInit): Promise<Libp2p> {
  const { limits } = config
  // yamux resets a paused stream whose read buffer passes maxReadBufferLength (4 MiB by default),
  // so the window a sender may fill is kept at stream_buffer and the read buffer above it.
  const window = Math.max(256 * 1024, limits.streamBufferBytes)
  // The circuit relay transport requires identify (its relay discovery is built in, unused here).
  const services: Record<string, any> = { identify: identify({ timeout: limits.handshakeTimeoutMs }) }
  if (config.relay.enabled) {
    services.relay = circuitRelayServer({
      hopTimeout: limits.handshakeTimeoutMs,
      maxInboundHopStreams: limits.maxStreamsPerTunnel,
      maxOutboundHopStreams: limits.maxStreamsPerTunnel,
      maxOutboundStopStreams: limits.maxStreamsPerTunnel,
      reservations: {
        maxReservations: config.relay.maxReservations,
        // Relayed device-to-device connections carry real traffic: no 2-minute / 128 KiB cap.
        applyDefaultLimit: false,
        reservationTtl: 24 * 60 * 60 * 1000
      }
    })
  }
  return await createLibp2p({
    privateKey,
    start: false,
    addresses: { listen: config.listen.map(a => tcpMultiaddr(a).toString()) },
    transports: [
      tcp({ inboundSocketInactivityTimeout: 0, outboundSocketInactivityTimeout: 0 }),
      circuitRelayTransport({
        maxInboundStopStreams: limits.maxStreamsPerTunnel,
        maxOutboundStopStreams: limits.maxStreamsPerTunnel,
        reservationCompletionTimeout: limits.handshakeTimeoutMs
      })
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({
      maxInboundStreams: limits.maxStreamsPerTunnel,
      maxOutboundStreams: limits.maxStreamsPerTunnel,
      streamOptions: { maxStreamWindowSize: window }
    })],
    connectionGater: gater,
    connectionManager: {
      maxConnections: Math.max(config.relay.maxReservations * 2 + 64, 1024),
      maxIncomingPendingConnections: limits.maxPendingHandshakes,
      inboundConnectionThreshold: limits.handshakeRatePerIp,
      inboundUpgradeTimeout: limits.handshakeTimeoutMs,
      dialTimeout: limits.handshakeTimeoutMs
    },
    // Our keep-tunnel pings with its own interval and timeout; libp2p's monitor would need the
    // ipfs ping protocol on both sides and guesses its timeout from round-trip history.
    connectionMonitor: { enabled: false },
    services
  })
}
