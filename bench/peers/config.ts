import type { RtcpConfig } from '../../src/config/types.ts'
import { defaultRtcpConfig } from '../../src/config/defaults.ts'

/** rtcp settings for benchmark clients: a config file's defaults, with generous rate limits. */
export function benchRtcpConfig (over: Partial<RtcpConfig> = {}): RtcpConfig {
  const base = defaultRtcpConfig()
  base.limits = { ...base.limits, handshakeRatePerIp: 1000, streamOpenRate: 100_000 }
  return { ...base, ...over }
}
