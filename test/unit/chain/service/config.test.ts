// kapi and app in the config: short and long forms normalised with defaults, every mistake
// reported at its line:col, and the dry run naming the service or app a request would reach.
import t from 'tap'
import { checkConfigText, loadConfigText } from '../../../../src/config/load.ts'
import { formatProblem } from '../../../../src/config/errors.ts'
import { dryRun } from '../../../../src/chain/dry-run.ts'
import type { GatewayConfig } from '../../../../src/config/types.ts'

const FILE = 'configs/node.yaml'
const HEAD = 'role: gateway\ndevice: { key: k }\nstacks: [{ id: node, listen: "127.0.0.1:3180", chain: edge }]\n'
const route = (process: string, probe = ''): string =>
  `${HEAD}chains:\n  edge:\n    ${probe}routes:\n      - { id: kapi, match: { path_prefix: /kapi/ }, process: { kapi: true } }\n      - { id: apps, process: ${process} }\n`
// kapi and app need the zone's system-config; it goes last so the positions above stay put.
const SYSCFG = 'sysconfig: { zone: alice.test, owner: did:dev:x3bN33l_3h7mbgDGxZy1vnx0gVwJ2DQro_eKqzD7tBo, node: n1, url: "http://127.0.0.1:1/kapi/system_config" }\n'
const problems = (text: string): string[] => checkConfigText(text + SYSCFG, FILE).problems.map(formatProblem)
const load = (text: string): GatewayConfig => loadConfigText(text + SYSCFG, FILE) as GatewayConfig

t.test('short and long forms, defaults', async t => {
  const text = route('{ app: { login: "https://{zone}/login", response_timeout: 3s } }')
  t.same(problems(text), [])
  const routes = load(text).chains[0].routes
  t.same(routes[0].process, { kind: 'kapi', kapi: { prefix: '/kapi', strip: false, connectTimeoutMs: 5000, responseTimeoutMs: 60_000, idleTimeoutMs: 60_000 } })
  t.same(routes[1].process, { kind: 'app', app: { login: 'https://{zone}/login', connectTimeoutMs: 5000, responseTimeoutMs: 3000, idleTimeoutMs: 60_000 } })
  const long = load(route('{ kapi: { prefix: /api/v1, strip: true, connect_timeout: 2s } }')).chains[0].routes[1]
  t.same(long.process, { kind: 'kapi', kapi: { prefix: '/api/v1', strip: true, connectTimeoutMs: 2000, responseTimeoutMs: 60_000, idleTimeoutMs: 60_000 } })
  t.same(load(route('{ kapi: {} }')).chains[0].routes[1].process, { kind: 'kapi', kapi: { prefix: '/kapi', strip: false, connectTimeoutMs: 5000, responseTimeoutMs: 60_000, idleTimeoutMs: 60_000 } })
})

t.test('every mistake with kapi or app is reported at its position', async t => {
  const cases: Array<[string, string]> = [
    [route('{ app: {} }'), '8:37 chains.edge.routes[1].process.app: missing required key "login"'],
    [route('{ app: { login: "https://{zonee}/login" } }'), '8:46 chains.edge.routes[1].process.app.login: unknown variable {zonee}'],
    [route('{ app: { login: "ftp://x" } }'), '8:46 chains.edge.routes[1].process.app.login: the login page is an http(s) URL or a path'],
    [route('{ app: { login: /login, strip: true } }'), '8:54 chains.edge.routes[1].process.app.strip: unknown key'],
    [route('{ kapi: { prefix: "api/" } }'), '8:48 chains.edge.routes[1].process.kapi.prefix: must be a path such as /kapi (no trailing "/"), got "api/"'],
    [route('{ kapi: false }'), '8:38 chains.edge.routes[1].process.kapi: must be true or { prefix, strip, connect_timeout, ... }, got false'],
    [route('{ kapi: { strip: 1 } }'), '8:47 chains.edge.routes[1].process.kapi.strip: must be true or false, got 1'],
    [route('{ app: { login: /login }, then: edge }'), '8:56 chains.edge.routes[1].process.then: "then" goes with tls_terminate only; app ends the chain'],
    [route('{ app: { login: /login }, kapi: true }'), '8:56 chains.edge.routes[1].process.kapi: give exactly one action; this route has app and kapi']
  ]
  for (const [text, expected] of cases) {
    const got = problems(text)
    t.equal(got.length, 1, `${expected}: one problem, got ${JSON.stringify(got)}`)
    t.ok(got[0]?.startsWith(`${FILE}:${expected}`), `${got[0]} starts with ${expected}`)
  }
  const noHttp = problems(route('{ app: { login: /login } }', 'probe: [tls]\n    '))
  t.ok(noHttp.some(p => p.startsWith(`${FILE}:8:64 chains.edge.routes[0].process.kapi: kapi answers HTTP requests; add http`)), noHttp.join('\n'))
  t.ok(noHttp.some(p => p.startsWith(`${FILE}:9:32 chains.edge.routes[1].process.app: app answers HTTP requests; add http`)), noHttp.join('\n'))
})

t.test('the dry run names the service or the app', async t => {
  const c = load(route('{ app: { login: "https://{zone}/login" } }'))
  const k = dryRun(c.chains, { stack: 'node', chain: 'edge', url: new URL('http://127.0.0.1:3180/kapi/verify-hub/login') })
  t.equal(k.steps[0].route?.spec.id, 'kapi')
  t.equal(k.outcome, 'kapi: to service://verify-hub from the path /kapi/<svc>/...')
  const bad = dryRun(c.chains, { stack: 'node', chain: 'edge', url: new URL('http://127.0.0.1:3180/kapi/Bad/x') })
  t.equal(bad.outcome, 'kapi: to (none: the path names no valid service, 400) from the path /kapi/<svc>/...')
  const a = dryRun(c.chains, { stack: 'node', chain: 'edge', url: new URL('http://photos.alice.test/') })
  t.equal(a.steps[0].route?.spec.id, 'apps')
  t.equal(a.outcome, 'app: app photos of zone alice.test, to the app\'s service://<service>; private apps need the zonegate_session cookie, else 302 to https://{zone}/login')
})

t.test('sysconfig.devices: only what is listed; rtcp peers (an SN among them) are not added', async t => {
  const peers = 'rtcp: { peers: { sn: { did: did:dev:LbWwqKrHMIW-yCGDpjqhSomAhL1BIwMr_dPQGwTza9Q, addrs: ["127.0.0.1:1"] } } }\n'
  t.same(load(route('{ respond: 200 }') + peers).sysconfig?.devices, {}, 'a peer is not a device of the zone')
  const listed = loadConfigText(route('{ respond: 200 }') + peers + SYSCFG.replace('node: n1,', 'node: n1, devices: { n2: did:dev:EQO4bNT02Omde1XYWQfEes40SNkCfWS-Qxe4op16G2M },'), FILE) as GatewayConfig
  t.same(listed.sysconfig?.devices, { n2: 'did:dev:EQO4bNT02Omde1XYWQfEes40SNkCfWS-Qxe4op16G2M' })
})
