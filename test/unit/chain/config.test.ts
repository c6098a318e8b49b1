// The chain extensions in the config: tls_terminate with `acme: <id>`, the `zone` action (short
// and long form), their checks at line:col, --check-files leaving ACME routes alone, and the dry run.
import t from 'tap'
import { checkConfigText, loadConfigText } from '../../../src/config/load.ts'
import { formatProblem } from '../../../src/config/errors.ts'
import { checkChainFiles } from '../../../src/config/chain-files.ts'
import { dryRun } from '../../../src/chain/dry-run.ts'
import type { SnConfig } from '../../../src/config/types.ts'

const FILE = 'configs/sn.yaml'
// An SN: the zone action belongs to it, and its certificates need no sn: link. Three lines, so
// the positions below count from line 4.
const HEAD = 'role: sn\ndevice: { key: k }\nrtcp: { listen: ["127.0.0.1:0"] }\n'
const ACME = 'acme: { directory: "https://127.0.0.1:14000/dir", certificates: [{ id: site, names: [site.test] }, { id: zone, names: [alice.test] }] }\n'
const STACK = 'stacks: [{ id: pub, listen: "127.0.0.1:0", chain: edge }]\n'
const WEB = '  web: { probe: [http], routes: [{ process: { respond: 200 } }] }\n'
const problems = (text: string): string[] => checkConfigText(HEAD + text, FILE).problems.map(formatProblem)
const load = (text: string): SnConfig => loadConfigText(HEAD + text, FILE) as SnConfig

const GOOD = ACME + STACK + `chains:
  edge:
    routes:
      - { id: own, match: { sni: site.test }, process: { tls_terminate: { acme: site }, then: web } }
      - { id: http, match: { protocol: http }, process: { zone: { target: http, proxy_protocol: v2, connect_timeout: 3s } } }
      - { id: zones, process: { zone: https } }
` + WEB

t.test('acme and zone are normalised: short form, long form, defaults', async t => {
  t.same(problems(GOOD), [])
  const routes = load(GOOD).chains.find(c => c.name === 'edge')!.routes
  t.same(routes[0].process, { kind: 'tls_terminate', certs: [], acme: 'site', then: 'web', alpn: ['http/1.1'], handshakeTimeoutMs: 10_000 })
  t.same(routes[1].process, { kind: 'zone', zone: { target: 'http', proxyProtocol: 'v2', connectTimeoutMs: 3000 } })
  t.same(routes[2].process, { kind: 'zone', zone: { target: 'https', connectTimeoutMs: 5000 } })
  const long = load(ACME + STACK + 'chains:\n  edge:\n    routes:\n      - { process: { zone: {} } }\n')
  t.same(long.chains[0].routes[0].process, { kind: 'zone', zone: { target: 'https', connectTimeoutMs: 5000 } }, 'target defaults to https')
})

t.test('--check-files reads no files for ACME routes (they exist only at run time)', async t => {
  t.same(await checkChainFiles(load(GOOD) as unknown as Parameters<typeof checkChainFiles>[0], FILE), [])
})

t.test('every mistake with acme or zone is reported at its position', async t => {
  const route = (process: string, extra = ''): string => `${STACK}chains:\n  edge:\n    ${extra}routes:\n      - { process: ${process} }\n${WEB}`
  const cases: Array<[string, string]> = [
    [ACME + route('{ tls_terminate: { acme: stie }, then: web }'),
      '9:45 chains.edge.routes[0].process.tls_terminate.acme: names no certificate "stie" of acme.certificates; did you mean "site"?'],
    [route('{ tls_terminate: { acme: site }, then: web }'),
      '8:45 chains.edge.routes[0].process.tls_terminate.acme: names ACME certificate "site", but there is no acme section'],
    [ACME + route('{ tls_terminate: { acme: site, certs: [{ cert: a, key: b }] }, then: web }'),
      '9:39 chains.edge.routes[0].process.tls_terminate.acme: give either certs (files) or acme (a certificate id), not both'],
    [ACME + route('{ tls_terminate: {}, then: web }'),
      '9:37 chains.edge.routes[0].process.tls_terminate: tls_terminate needs certificates: certs (a list of { cert, key } files) or acme'],
    [ACME + route('{ zone: https }', 'probe: [] \n    '),
      '10:22 chains.edge.routes[0].process.zone: zone finds the zone by the server name (SNI or Host); add tls or http to this chain\'s probe list'],
    [ACME + route('{ zone: "a b" }'),
      '9:28 chains.edge.routes[0].process.zone: must be a target such as https, or { target, proxy_protocol, connect_timeout }'],
    [ACME + route('{ zone: { target: https, proxy_protocol: v3 } }'),
      '9:61 chains.edge.routes[0].process.zone.proxy_protocol: must be one of v1, v2, got "v3"'],
    [ACME + route('{ zone: https, then: web }'),
      '9:35 chains.edge.routes[0].process.then: "then" goes with tls_terminate only; zone ends the chain']
  ]
  for (const [text, expected] of cases) {
    const got = problems(text)
    t.equal(got.length, 1, `${expected}: one problem, got ${JSON.stringify(got)}`)
    t.ok(got[0]?.startsWith(`${FILE}:${expected}`), `${got[0]} starts with ${expected}`)
  }
})

t.test('the dry run names the zone action', async t => {
  const c = load(GOOD)
  const own = dryRun(c.chains, { stack: 'pub', chain: 'edge', sni: 'site.test' })
  t.equal(own.steps[0].route?.spec.id, 'own')
  t.equal(own.outcome, 'respond 200')
  t.match(own.steps.length, 2)
  const zone = dryRun(c.chains, { stack: 'pub', chain: 'edge', sni: 'app.alice.test' })
  t.equal(zone.outcome, 'zone: to the zone of the server name (SNI, else Host), target https')
  const plain = dryRun(c.chains, { stack: 'pub', chain: 'edge', url: new URL('http://alice.test/') })
  t.equal(plain.outcome, 'zone: to the zone of the server name (SNI, else Host), target http, PROXY v2')
})
