// Helpers for tests that run rtcp nodes in-process on loopback.
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import type { RtcpConfig, RtcpPeerConfig } from '../../src/config/types.ts'
import { RtcpNode, type TargetResolver } from '../../src/rtcp/node.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { defaultRtcpConfig } from '../../src/config/defaults.ts'

export interface TestDevice { key: PrivateKey, did: string }

export async function device (): Promise<TestDevice> {
  const key = await generateKeyPair('Ed25519')
  return { key, did: `did:dev:${Buffer.from(key.publicKey.raw).toString('base64url')}` }
}

/** Defaults of a config file, with tunnels and timeouts made faster for tests. */
export function rtcpConfig (over: Partial<RtcpConfig> = {}): RtcpConfig {
  const base = defaultRtcpConfig()
  base.limits = { ...base.limits, handshakeTimeoutMs: 5000, handshakeRatePerIp: 100, streamOpenRate: 5000, streamBufferBytes: 1024 * 1024, streamOpenTimeoutMs: 5000 }
  base.keepalive = { intervalMs: 1000, timeoutMs: 1000 }
  base.reconnect = { initialMs: 50, maxMs: 500 }
  base.relay = { ...base.relay, pendingTimeoutMs: 5000, maxRelayedConnections: 1024 }
  return { ...base, ...over }
}

export function peer (name: string, d: TestDevice, addrs: string[] = [], extra: Partial<RtcpPeerConfig> = {}): RtcpPeerConfig {
  return { name, did: d.did, addrs, keep: false, ...extra }
}

export async function startNode (d: TestDevice, config: RtcpConfig, resolveTarget?: TargetResolver, options?: { onRelayBytes?: (chunk: Buffer) => void }): Promise<RtcpNode> {
  const node = new RtcpNode({ privateKey: d.key, config, logger: silentLogger(), resolveTarget })
  await node.start(options)
  return node
}
