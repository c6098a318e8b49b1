// stacks + chains in the config: short forms, defaults, normalisation, and every check the
// loader makes with its file:line:col.
import t from 'tap'
import { join } from 'node:path'
import { checkConfigText, loadConfigText } from '../../../src/config/load.ts'
import { formatProblem } from '../../../src/config/errors.ts'
import type { GatewayConfig } from '../../../src/config/types.ts'
import { didFromPublicKey } from '../../../src/identity/did.ts'

const FILE = 'configs/edge.yaml'
const D1 = didFromPublicKey(new Uint8Array(32).fill(1))
const HEAD = `role: gateway\ndevice: { key: k }\nrtcp: { peers: { home: { did: ${D1}, addrs: ["127.0.0.1:4430"] } } }\n`
const problems = (text: string): string[] => checkConfigText(HEAD + text, FILE).problems.map(formatProblem)
const gateway = (text: string): GatewayConfig => loadConfigText(HEAD + text, FILE) as GatewayConfig

t.test('a forward stack becomes a chain of its own with no probes', async t => {
  const c = gateway('stacks:\n  - { id: ssh, listen: 127.0.0.1:2222, forward: "rtcp://home/:22" }\n')
  t.same(c.stacks, [{ id: 'ssh', listen: '127.0.0.1:2222', chain: 'stack:ssh' }])
  t.equal(c.chains.length, 1)
  const chain = c.chains[0]
  t.equal(chain.name, 'stack:ssh')
  t.same(chain.probe, [])
  t.equal(chain.routes[0].process.kind, 'forward')
  t.match(chain.routes[0].process, { group: { upstreams: [{ url: 'rtcp://home/:22', weight: 1 }], balance: 'round_robin', tries: 2, connectTimeoutMs: 5000 } })
  t.same(c.accessLog, { enabled: true })
  t.equal(c.control, undefined)
})

t.test('short forms and defaults of every action, filter and condition', async t => {
  const c = gateway(`stacks: [{ id: web, listen: "127.0.0.1:0", chain: web }]
chains:
  web:
    routes:
      - { id: fw, match: { sni: A.Example.Test, alpn: h2 }, process: { forward: ["tcp://127.0.0.1:1", { url: "tcp://127.0.0.1:2", weight: 5 }] } }
      - match: { host: ["*.example.test"], path_prefix: /api, method: get, header: { x-a: yes, x-b: true, x-c: { regex: "^z" } }, source: 10.0.0.0/8, listener: web, peer: home, protocol: http }
        process: { http_proxy: "tcp://127.0.0.1:3" }
      - { process: { serve: ./public } }
      - { process: { redirect: "https://{host}{uri}" } }
      - { process: { respond: 204 } }
      - { process: { reject: true } }
      - { process: { drop: true } }
      - { process: { tls_terminate: { certs: [{ cert: c.pem, key: k.pem }] }, then: web } }
    post_resp_filter:
      - set_header: { x-frame-options: DENY }
      - remove_header: Server
      - rewrite_status: 200
control: { listen: "127.0.0.1:7391" }
access_log: { file: ./access.log }
`)
  const [chain] = c.chains
  t.same(chain.probe, ['tls', 'http'], 'default probes')
  t.equal(chain.probeTimeoutMs, 5000)
  t.equal(chain.probeMaxBytes, 64 * 1024)
  const r = chain.routes
  t.same(r.map(x => x.id), ['fw', '1', '2', '3', '4', '5', '6', '7'], 'ids default to the position')
  t.same(r[0].match, { sni: ['a.example.test'], alpn: ['h2'] }, 'names lower-cased, one value → list')
  t.same((r[0].process as { group: { upstreams: unknown } }).group.upstreams, [{ url: 'tcp://127.0.0.1:1', weight: 1 }, { url: 'tcp://127.0.0.1:2', weight: 5 }])
  t.same(r[1].match, {
    host: ['*.example.test'],
    pathPrefix: ['/api'],
    method: ['GET'],
    header: { 'x-a': { equals: 'yes' }, 'x-b': { present: true }, 'x-c': { regex: '^z' } },
    source: ['10.0.0.0/8'],
    listener: ['web'],
    peer: [D1],
    protocol: ['http']
  }, 'peer names become dids')
  t.match(r[1].process, { kind: 'http_proxy', proxy: { upstreams: [{ url: 'tcp://127.0.0.1:3' }], xForwarded: true, preserveHost: true, idleTimeoutMs: 60000, responseTimeoutMs: 60000, rewrite: {} } })
  t.same(r[2].process, { kind: 'serve', dir: join(process.cwd(), 'configs/public'), index: ['index.html'] })
  t.same(r[3].process, { kind: 'redirect', to: 'https://{host}{uri}', status: 308 })
  t.same(r[4].process, { kind: 'respond', status: 204, headers: {}, body: '' })
  t.same(r[5].process, { kind: 'reject', status: 403 })
  t.same(r[6].process, { kind: 'drop' })
  t.match(r[7].process, { kind: 'tls_terminate', then: 'web', alpn: ['http/1.1'], handshakeTimeoutMs: 10000, certs: [{ certFile: join(process.cwd(), 'configs/c.pem'), sni: [] }] })
  t.same(chain.postRespFilter, [
    { kind: 'set_header', headers: { 'x-frame-options': 'DENY' } },
    { kind: 'remove_header', names: ['server'] },
    { kind: 'rewrite_status', to: 200 }
  ])
  t.match(r[1].pos, { file: join(process.cwd(), FILE), line: 9 }, 'routes know their line')
  t.same(c.control, { listen: '127.0.0.1:7391', tokenFile: join(process.cwd(), FILE) + '.token' })
  t.same(c.accessLog, { enabled: true, file: join(process.cwd(), 'configs/access.log') })
})

t.test('every chain mistake is reported at its position, with the fix', async t => {
  const stack = 'stacks: [{ id: web, listen: "127.0.0.1:0", chain: web }]\n'
  const cases: Array<[string, string]> = [
    ['stacks: [{ id: web, listen: "127.0.0.1:0", chain: wbe }]\nchains: { web: { routes: [{ process: { drop: true } }] } }\n',
      '4:51 stacks[0].chain: names no chain "wbe"; did you mean "web"?'],
    ['stacks: [{ id: web, listen: "127.0.0.1:0" }]\n',
      '4:10 stacks[0]: missing "chain" (the chain connections enter) or "forward" (one tunnel URL for everything)'],
    ['stacks: [{ id: web, listen: "127.0.0.1:0", chain: web, forward: "tcp://127.0.0.1:1" }]\nchains: { web: { routes: [{ process: { drop: true } }] } }\n',
      '4:56 stacks[0].forward: give either chain or forward, not both (forward is short for a chain with one forward route)'],
    [stack + 'chains: { web: { routes: [{ process: { drop: true, reject: true } }] } }\n',
      '5:52 chains.web.routes[0].process.reject: give exactly one action; this route has drop and reject'],
    [stack + 'chains: { web: { routes: [{ process: {} }] } }\n',
      '5:38 chains.web.routes[0].process: give one action: forward, tls_terminate, http_proxy, serve, redirect, respond, reject, drop'],
    [stack + 'chains: { web: { routes: [{ process: { forwrd: "tcp://127.0.0.1:1" } }] } }\n',
      '5:40 chains.web.routes[0].process.forwrd: unknown key "forwrd"; did you mean "forward"?'],
    [stack + 'chains: { web: { routes: [{ process: { tls_terminate: { certs: [{ cert: a, key: b }] } } }] } }\n',
      '5:38 chains.web.routes[0].process: tls_terminate needs "then": the chain the decrypted connection continues in'],
    [stack + 'chains: { web: { routes: [{ process: { tls_terminate: { certs: [{ cert: a, key: b }] }, then: nope } }] } }\n',
      '5:95 chains.web.routes[0].process.then: names no chain "nope"; chains: web'],
    [stack + 'chains: { web: { routes: [{ process: { drop: true, then: web } }] } }\n',
      '5:52 chains.web.routes[0].process.then: "then" goes with tls_terminate only; drop ends the chain'],
    [stack + 'chains: { web: { routes: [{ match: { sni: "a.*.test" }, process: { drop: true } }] } }\n',
      '5:43 chains.web.routes[0].match.sni: '],
    [stack + 'chains: { web: { routes: [{ match: { source: 10.0.0.0/33 }, process: { drop: true } }] } }\n',
      '5:46 chains.web.routes[0].match.source: '],
    [stack + 'chains: { web: { routes: [{ match: { path_prefix: api }, process: { drop: true } }] } }\n',
      '5:51 chains.web.routes[0].match.path_prefix: a path prefix starts with "/", got "api"'],
    [stack + 'chains: { web: { routes: [{ match: { path_regex: "([a-z" }, process: { drop: true } }] } }\n',
      '5:50 chains.web.routes[0].match.path_regex: not a valid regular expression: '],
    [stack + 'chains: { web: { probe: [tls], routes: [{ match: { host: a.test }, process: { drop: true } }] } }\n',
      '5:52 chains.web.routes[0].match.host: matching on host needs the http probe; add http to this chain\'s probe list'],
    [stack + 'chains: { web: { probe: [http], routes: [{ match: { sni: a.test }, process: { drop: true } }] } }\n',
      '5:53 chains.web.routes[0].match.sni: matching on sni needs the tls probe (or a chain entered through tls_terminate); add tls to this chain\'s probe list'],
    [stack + 'chains: { web: { probe: [tls], routes: [{ process: { respond: 200 } }] } }\n',
      '5:54 chains.web.routes[0].process.respond: respond answers HTTP requests; add http to this chain\'s probe list'],
    [stack + 'chains: { web: { probe: [proxy_protocol, http], routes: [{ process: { drop: true } }] } }\n',
      '5:25 chains.web.probe: the proxy_protocol probe needs trusted_proxies: the address ranges whose PROXY headers are believed'],
    [stack + 'chains: { web: { routes: [{ process: { forward: "tcp://nowhere" } }] } }\n',
      '5:49 chains.web.routes[0].process.forward: a tcp URL needs a host and port: tcp://host:port, got "tcp://nowhere"'],
    [stack + 'chains: { web: { routes: [{ process: { http_proxy: { upstreams: ["rtcp://hme/:80"] } } }] } }\n',
      '5:66 chains.web.routes[0].process.http_proxy.upstreams[0]: names no configured peer "hme"; did you mean "home"?'],
    [stack + 'chains: { web: { routes: [{ process: { redirect: "https://{hots}/" } }] } }\n',
      '5:50 chains.web.routes[0].process.redirect: unknown variable'],
    [stack + 'chains: { web: { routes: [{ id: a, process: { drop: true } }, { id: a, process: { drop: true } }] } }\n',
      '5:69 chains.web.routes[1].id: route id "a" is already used by route 0 of this chain'],
    [stack + 'chains: { web: { routes: [{ process: { drop: true } }], post_resp_filter: [{ set_header: { "bad name": x } }] } }\n',
      '5:92 chains.web.post_resp_filter[0].set_header["bad name"]: not a valid header name: "bad name"'],
    [stack + 'chains: { web: { routes: [{ process: { drop: true } }], post_resp_filter: [{ set_header: { a: b }, remove_header: c }] } }\n',
      '5:76 chains.web.post_resp_filter[0]: must be one edit per list item'],
    [stack + 'chains: { web: { routes: [{ process: { forward: { upstreams: ["tcp://127.0.0.1:1"], balance: roundrobin } } }] } }\n',
      '5:94 chains.web.routes[0].process.forward.balance: must be one of round_robin, random, hash, least_time, got "roundrobin"; did you mean "round_robin"?'],
    ['stacks: [{ id: web, listen: "rtcp://local/a b", chain: web }]\nchains: { web: { routes: [{ process: { drop: true } }] } }\n',
      '4:29 stacks[0].listen: must be IP:port or rtcp://local/<name>, got "rtcp://local/a b"'],
    [stack + 'chains: { web: { routes: [{ process: { respond: { status: 204, body: "x" } } }] } }\n',
      '5:27 chains.web.routes[0].process.respond: '],
    ['stacks: [{ id: s, listen: "0.0.0.0:1080", chain: c, socks: {} }]\nchains: { c: { routes: [{ process: { direct: true } }] } }\n',
      '4:27 stacks[0].listen: a SOCKS stack on a non-loopback address needs a login'],
    ['control: { listen: "0.0.0.0:7391" }\n',
      '4:20 control.listen: the control API listens on loopback only (127.0.0.1 or [::1]), got "0.0.0.0:7391"']
  ]
  for (const [text, expected] of cases) {
    const got = problems(text)
    t.equal(got.length, 1, `${expected}: one problem, got ${JSON.stringify(got)}`)
    t.ok(got[0]?.startsWith(`${FILE}:${expected}`), `${got[0]} starts with ${expected}`)
  }
})

t.test('an rtcp://local/<name> stack listens for streams from other devices', async t => {
  const c = gateway('stacks: [{ id: from_devices, listen: "rtcp://local/web", chain: web }]\nchains: { web: { routes: [{ match: { peer: home }, process: { respond: 200 } }] } }\n')
  t.equal(c.stacks[0].listen, 'rtcp://local/web')
})

t.test('an open SOCKS proxy is allowed only when asked for, or with logins', async t => {
  const base = 'chains: { c: { routes: [{ process: { direct: true } }] } }\n'
  t.same(problems(`stacks: [{ id: s, listen: "0.0.0.0:1080", chain: c, socks: { allow_open_proxy: true } }]\n${base}`), [])
  t.same(problems(`stacks: [{ id: s, listen: "0.0.0.0:1080", chain: c, socks: { users_env: U } }]\n${base}`), [])
  t.same(problems(`stacks: [{ id: s, listen: "127.0.0.1:1080", chain: c, socks: {} }]\n${base}`), [])
  const c = gateway(`stacks: [{ id: s, listen: "127.0.0.1:1080", chain: c, socks: { users_file: users.txt, max_sessions_per_client: 8 } }]\n${base}`)
  t.match(c.stacks[0].socks, { usersFile: join(process.cwd(), 'configs/users.txt'), allowOpenProxy: false, handshakeTimeoutMs: 10000, connectTimeoutMs: 10000, maxSessionsPerClient: 8, udpIdleTimeoutMs: 120000 })
})
