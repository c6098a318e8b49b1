// trusted_proxies: address ranges count for TCP connections, device keys for rtcp streams, and an
// rtcp stream is never trusted for its placeholder address.
import t from 'tap'
import { compileTrust } from '../../../../src/chain/match/trust.ts'
import { checkConfigText, loadConfigText } from '../../../../src/config/load.ts'
import { formatProblem } from '../../../../src/config/errors.ts'
import type { GatewayConfig } from '../../../../src/config/types.ts'

const SN = 'did:dev:EQO4bNT02Omde1XYWQfEes40SNkCfWS-Qxe4op16G2M'
const OTHER = 'did:dev:LbWwqKrHMIW-yCGDpjqhSomAhL1BIwMr_dPQGwTza9Q'

t.test('ranges for sockets, devices for rtcp streams', async t => {
  const trust = compileTrust(['127.0.0.0/8', SN])
  t.ok(trust('127.0.0.1'), 'a TCP connection from a trusted range')
  t.notOk(trust('192.0.2.1'), 'a TCP connection from elsewhere')
  t.ok(trust('127.0.0.1', SN), 'an rtcp stream from the trusted device')
  t.notOk(trust('127.0.0.1', OTHER), 'an rtcp stream from another device, whatever its placeholder address')
  t.notOk(compileTrust(['127.0.0.1/32'])('127.0.0.1', SN), 'a loopback range does not trust rtcp streams')
})

t.test('the config accepts peer names and dids, maps names to dids, and says what else it takes', async t => {
  const head = `role: gateway\ndevice: { key: k }\nrtcp: { peers: { sn: { did: ${SN} } } }\n`
  const chain = (list: string): string => `${head}chains:\n  c:\n    probe: [proxy_protocol, http]\n    trusted_proxies: ${list}\n    routes: [{ process: { respond: 204 } }]\n`
  const c = loadConfigText(chain(`[sn, "${OTHER}", 10.0.0.0/8]`), 'x.yaml') as GatewayConfig
  t.same(c.chains[0].trustedProxies, [SN, OTHER, '10.0.0.0/8'])
  const problems = checkConfigText(chain('[snn]'), 'x.yaml').problems.map(formatProblem)
  t.equal(problems.length, 1)
  t.match(problems[0], /7:23 chains\.c\.trusted_proxies\[0\]: "snn" is not an IP address; or name a device \(did:dev or an rtcp peer\)/)
})
