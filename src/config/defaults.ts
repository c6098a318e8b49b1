// The rtcp settings a config file gets when it says nothing: for embedding an rtcp node without a
// file (tests, benchmarks, library use). Taken from the loader itself, so they cannot drift.
import type { RtcpConfig } from './types.ts'
import { loadConfigText } from './load.ts'

export function defaultRtcpConfig (overrides: Partial<RtcpConfig> = {}): RtcpConfig {
  const config = loadConfigText('device: { key: unused.pem }\n', '<defaults>', 'gateway')
  // The loader deep-freezes; callers of this function may adjust their copy.
  return { ...structuredClone(config.rtcp) as RtcpConfig, ...overrides }
}
