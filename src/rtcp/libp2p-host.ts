// Builds the libp2p host behind an rtcp node: TCP transport, Noise XX (mutual authentication by
// device key) and yamux multiplexing. Every libp2p default that caps our use is set from our
// limits. Relaying is ours (relay/), not circuit relay v2: an SN splices two devices' TCP
// connections and the devices upgrade the spliced bytes themselves, through the upgrader that the
// `upgrade` service hands out.
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { ComponentLogger, ConnectionGater, PrivateKey, Upgrader } from '@libp2p/interface'
import type { RtcpConfig } from '../config/types.ts'
import { tcpMultiaddr } from './peer-book.ts'
import { noiseCrypto } from './noise-crypto.ts'

export const RTCP_PROTOCOL = '/zonegate/rtcp/1.0.0'

export interface UpgradeService { upgrader: Upgrader, logger: ComponentLogger }
export type RtcpHost = Libp2p<{ upgrade: UpgradeService }>

export interface HostInit {
  privateKey: PrivateKey
  config: RtcpConfig
  gater: ConnectionGater
}

export async function createHost ({ privateKey, config, gater }: HostInit): Promise<RtcpHost> {
  const { limits } = config
  // yamux resets a paused stream whose read buffer passes maxReadBufferLength (4 MiB by default),
  // so the window a sender may fill is kept at stream_buffer and the read buffer above it.
  const window = Math.max(256 * 1024, limits.streamBufferBytes)
  return await createLibp2p({
    privateKey,
    start: false,
    addresses: { listen: config.listen.map(a => tcpMultiaddr(a).toString()) },
    transports: [tcp({ inboundSocketInactivityTimeout: 0, outboundSocketInactivityTimeout: 0 })],
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [yamux({
      maxInboundStreams: limits.maxStreamsPerTunnel,
      maxOutboundStreams: limits.maxStreamsPerTunnel,
      streamOptions: { maxStreamWindowSize: window }
    })],
    connectionGater: gater,
    connectionManager: {
      // An SN holds a tunnel per device; the pruner must never close them for being many.
      maxConnections: 1_000_000,
      maxIncomingPendingConnections: limits.maxPendingHandshakes,
      inboundConnectionThreshold: limits.handshakeRatePerIp,
      inboundUpgradeTimeout: limits.handshakeTimeoutMs,
      dialTimeout: limits.handshakeTimeoutMs
    },
    // Our keep-tunnel pings with its own interval and timeout; libp2p's monitor would need the
    // ipfs ping protocol on both sides and guesses its timeout from round-trip history.
    connectionMonitor: { enabled: false },
    services: {
      upgrade: (components: { upgrader: Upgrader, logger: ComponentLogger }): UpgradeService =>
        ({ upgrader: components.upgrader, logger: components.logger })
    }
  })
}
