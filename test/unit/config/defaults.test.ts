import t from 'tap'
import { defaultRtcpConfig } from '../../../src/config/defaults.ts'
import { loadConfigText } from '../../../src/config/load.ts'

t.test('defaults are what a config file without an rtcp section gets, in a copy the caller may change', async t => {
  const d = defaultRtcpConfig()
  const loaded = loadConfigText('device: { key: k.pem }\n', '/x/gateway.yaml', 'gateway')
  t.same(d, loaded.rtcp)
  t.notOk(Object.isFrozen(d.limits), 'not frozen')
  d.limits.streamOpenRate = 1
  t.equal(defaultRtcpConfig().limits.streamOpenRate, loaded.rtcp.limits.streamOpenRate, 'changing a copy changes nothing else')
  t.equal(defaultRtcpConfig({ targets: 'none' }).targets, 'none', 'overrides apply')
})
