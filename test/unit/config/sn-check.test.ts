// The sn:, acme: and sysconfig: cross-checks: each mistake reported at its position, with the fix.
import t from 'tap'
import { checkConfigText } from '../../../src/config/load.ts'
import { formatProblem } from '../../../src/config/errors.ts'

const FILE = 'x.yaml'
const problems = (text: string): string[] => checkConfigText(text, FILE).problems.map(formatProblem)
const GW = 'role: gateway\ndevice: { key: k }\n'
const SN = 'role: sn\ndevice: { key: k }\nrtcp: { listen: ["127.0.0.1:0"] }\n'
const ACME = (certs: string): string => `acme: { directory: "https://127.0.0.1:1/dir", certificates: [${certs}] }\n`
const LINK = 'sn: { url: "https://sn.test", domain: sn.test, zone: alice.sn.test }\n'
const SYSCFG = `sysconfig: { zone: z.test, owner: did:dev:x3bN33l_3h7mbgDGxZy1vnx0gVwJ2DQro_eKqzD7tBo, node: n1, url: "http://127.0.0.1:1/kapi/system_config" }\n`
const chain = (process: string): string => `stacks: [{ id: a, listen: "127.0.0.1:0", chain: c }]\nchains:\n  c:\n    probe: [http]\n    routes:\n      - process: ${process}\n`

t.test('acme: what a gateway and an SN may ask for', async t => {
  t.same(problems(GW + LINK + ACME('{ id: z, names: [alice.sn.test, "*.alice.sn.test"] }')), [], 'dns-01 through the SN')
  t.match(problems(GW + ACME('{ id: z, names: [a.test] }')).join('\n'), /acme\.certificates\[0\]: a gateway publishes dns-01 challenges through its SN: add an sn: section/)
  t.match(problems(GW + LINK + ACME('{ id: z, names: [a.test], challenge: http-01 }')).join('\n'), /challenge: http-01 is answered by an SN/)
  t.match(problems(SN + ACME('{ id: w, names: ["*.sn.test"], challenge: http-01 }')).join('\n'), /names\[0\]: a wildcard name needs challenge dns-01/)
  t.match(problems(SN + ACME('{ id: a, names: [sn.test] }, { id: a, names: [www.sn.test] }')).join('\n'), /certificates\[1\]\.id: certificate "a" is defined twice/)
  t.same(problems(SN + ACME('{ id: s, names: [sn.test] }, { id: w, names: [www.sn.test], challenge: http-01 }')), [], 'an SN may use both')
  t.match(problems(SN + ACME('{ id: Web.1, names: [sn.test] }')).join('\n'), /certificates\[0\]\.id: must be a lower-case name/, 'ids follow the ACME manager\'s rule')
})

t.test('actions and upstreams that need a part of the process', async t => {
  t.match(problems(GW + chain('{ zone: https }')).join('\n'), /process\.zone: the zone action belongs to an SN/)
  t.match(problems(GW + chain('{ http_proxy: "service://hello" }')).join('\n'), /8:32 chains\.c\.routes\[0\]\.process\.http_proxy: service:\/\/ upstreams, kapi and app are found by service discovery: add a sysconfig: section/)
  t.match(problems(GW + chain('{ kapi: true }')).join('\n'), /add a sysconfig: section/)
  t.match(problems(GW + SYSCFG + chain('{ http_proxy: "internal://system_config" }')).join('\n'), /internal:\/\/ upstreams are this process's own services .*add sysconfig\.serve/)
  t.same(problems(GW + SYSCFG + chain('{ kapi: true }')), [], 'with a sysconfig: kapi is fine')
  t.same(problems(SN + chain('{ http_proxy: "internal://api" }')), [], 'an SN serves internal://api')
})

t.test('sn: addresses and names', async t => {
  t.match(problems(GW + 'sn: { url: "https://sn.test", domain: sn.test, zone: alice.other.test }\n').join('\n'), /sn\.zone: the zone must be a name under the SN's domain: <label>\.sn\.test/)
  t.match(problems(GW + 'sn: { url: "https://sn.test", domain: sn.test, zone: a.sn.test, connect: "nope" }\n').join('\n'), /sn\.connect: /)
  t.match(problems(SN + 'sn: { domain: sn.test, public_addrs: ["999.1.1.1"] }\n').join('\n'), /sn\.public_addrs\[0\]: not an IP address/)
  t.match(problems(SN + 'sn: { domain: sn.test, public_addrs: ["127.0.0.1"], dns: { listen: ["localhost:53"] } }\n').join('\n'), /sn\.dns\.listen\[0\]: /)
})
