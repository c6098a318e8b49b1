import t from 'tap'
import fc from 'fast-check'
import YAML from 'yaml'
import { join, dirname } from 'node:path'
import { writeFile } from 'node:fs/promises'
import { checkConfigText, loadConfigText, loadConfig, validateConfigFile } from '../../../src/config/load.ts'
import { formatProblem } from '../../../src/config/errors.ts'
import type { GatewayConfig, SnConfig } from '../../../src/config/types.ts'
import { didFromPublicKey } from '../../../src/identity/did.ts'
import { generateKeyFile } from '../../../src/identity/key-file.ts'

const FILE = 'configs/home.yaml'
const D1 = didFromPublicKey(new Uint8Array(32).fill(1))
const D2 = didFromPublicKey(new Uint8Array(32).fill(2))

/** The formatted problems of `text`, as `zonegate validate` prints them. */
const problems = (text: string, role?: 'gateway' | 'sn'): string[] => checkConfigText(text, FILE, role).problems.map(formatProblem)
const gateway = (text: string): GatewayConfig => loadConfigText(text, FILE) as GatewayConfig

t.test('a minimal gateway gets every default', async t => {
  const c = gateway('role: gateway\ndevice: { key: ./keys/home.pem }\n')
  t.equal(c.role, 'gateway')
  t.equal(c.file, join(process.cwd(), FILE))
  t.equal(c.device.keyFile, join(process.cwd(), 'configs/keys/home.pem'), 'resolved against the config file\'s directory')
  t.same(c.log, { level: 'info' })
  t.same(c.stacks, [])
  t.same(c.rtcp, {
    listen: [],
    trust: { devices: [], allowAny: false },
    peers: [],
    targets: 'loopback',
    limits: {
      maxStreamsPerTunnel: 4096,
      maxPendingHandshakes: 64,
      handshakeTimeoutMs: 10_000,
      handshakeRatePerIp: 20,
      streamOpenRate: 2000,
      streamBufferBytes: 4 * 1024 * 1024,
      streamOpenTimeoutMs: 10_000
    },
    keepalive: { intervalMs: 5000, timeoutMs: 5000 },
    reconnect: { initialMs: 250, maxMs: 5000 },
    relay: { enabled: false, listen: '127.0.0.1:0', pendingTimeoutMs: 10_000, maxRelayedConnections: 4096 }
  })
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.rtcp.limits) && Object.isFrozen(c.rtcp.listen), 'deeply frozen')
})

t.test('an absolute key path stays as written', async t => {
  t.equal(gateway('role: gateway\ndevice: { key: /etc/zonegate/k.pem }\n').device.keyFile, '/etc/zonegate/k.pem')
})

t.test('an SN relays by default and must listen', async t => {
  const c = loadConfigText('role: sn\ndevice: { key: k.pem }\nrtcp: { listen: ["0.0.0.0:4433"] }\n', FILE) as SnConfig
  t.equal(c.role, 'sn')
  t.equal(c.rtcp.relay.enabled, true)
  t.same(c.rtcp.listen, ['0.0.0.0:4433'])
  t.same(c.stacks, [])
  t.notOk('sn' in c, 'without sn: it is a plain relay')
  t.same(problems('role: sn\ndevice: { key: k.pem }\n'), [`${FILE}:1:1 missing required key "rtcp"`])
  t.same(problems('role: sn\ndevice: { key: k.pem }\nrtcp: { listen: [] }\n'), [`${FILE}:3:17 rtcp.listen: must list at least 1 item`])
  t.same(problems('role: sn\ndevice: { key: k.pem }\nrtcp: { listen: ["127.0.0.1:1"] }\nzone: {}\n'),
    [`${FILE}:4:1 zone: unknown key "zone"; known keys: role, device, log, rtcp, stacks, chains, control, access_log, acme, sn`])
})

t.test('snake_case keys become camelCase, durations ms, sizes bytes', async t => {
  const c = gateway(`role: gateway
device: { key: k.pem }
log: { level: debug }
rtcp:
  listen: ["127.0.0.1:4430", "[::1]:4430"]
  trust: { devices: [${D1}, sn], allow_any: true }
  targets: any
  peers:
    sn: { did: ${D2}, addrs: ["sn.example.net:4433", "[2001:db8::1]:4433"], keep: true }
    home: { did: ${D1}, via: sn }
  limits: { max_streams_per_tunnel: 10, max_pending_handshakes: 5, handshake_timeout: 2m, handshake_rate_per_ip: 7, stream_open_rate: 9, stream_buffer: 64KiB, stream_open_timeout: 1500 }
  keepalive: { interval: 1.5s, timeout: 250ms }
  reconnect: { initial: 100, max: 1h }
  relay: { enabled: true, pending_timeout: 3s, max_relayed_connections: 4 }
stacks:
  - { id: web, listen: 127.0.0.1:8080, forward: "rtcp://home/:3000" }
  - { id: raw, listen: "[::1]:0", forward: "tcp://127.0.0.1:22" }
`)
  t.same(c.log, { level: 'debug' })
  t.same(c.rtcp.trust, { devices: [D1, 'sn'], allowAny: true })
  t.equal(c.rtcp.targets, 'any')
  t.same(c.rtcp.peers, [
    { name: 'sn', did: D2, addrs: ['sn.example.net:4433', '[2001:db8::1]:4433'], keep: true },
    { name: 'home', did: D1, addrs: [], via: 'sn', keep: false }
  ])
  t.same(c.rtcp.limits, {
    maxStreamsPerTunnel: 10, maxPendingHandshakes: 5, handshakeTimeoutMs: 120_000, handshakeRatePerIp: 7,
    streamOpenRate: 9, streamBufferBytes: 65536, streamOpenTimeoutMs: 1500
  })
  t.same(c.rtcp.keepalive, { intervalMs: 1500, timeoutMs: 250 })
  t.same(c.rtcp.reconnect, { initialMs: 100, maxMs: 3_600_000 })
  t.same(c.rtcp.relay, { enabled: true, listen: '127.0.0.1:0', pendingTimeoutMs: 3000, maxRelayedConnections: 4 })
  t.same(c.stacks, [
    { id: 'web', listen: '127.0.0.1:8080', chain: 'stack:web' },
    { id: 'raw', listen: '[::1]:0', chain: 'stack:raw' }
  ])
})

t.test('the role comes from the file or the subcommand, and they must agree', async t => {
  t.equal(loadConfigText('device: { key: k }\n', FILE, 'gateway').role, 'gateway', 'no role key: the subcommand decides')
  t.same(problems('device: { key: k }\n'), [`${FILE}:1:1 missing required key "role" (one of gateway, sn)`])
  t.same(problems('role: gw\ndevice: { key: k }\n'), [`${FILE}:1:7 role: must be one of gateway, sn, got "gw"`])
  t.same(problems('role: sn\ndevice: { key: k }\nrtcp: { listen: ["127.0.0.1:1"] }\n', 'gateway'),
    [`${FILE}:1:7 role: this is a sn config; run it with "zonegate sn", not "zonegate gateway"`])
  t.same(problems('role: 5\ndevice: { key: k }\n', 'gateway'), [`${FILE}:1:7 role: must be "gateway" (or left out), got 5`])
})

t.test('the example message: a bad did, at its line and column', async t => {
  const text = `role: gateway
device: { key: k }
rtcp:
  peers:
    sn:
      did: abc
`
  t.same(problems(text), [`${FILE}:6:12 rtcp.peers.sn.did: must be a did:dev:<base64url> string, got "abc"`])
})

t.test('each kind of schema error, with its position', async t => {
  const cases: Array<[string, string]> = [
    ['role: gateway\ndevice: { key: k }\nrtcp: { trust: { alow_any: true } }\n',
      '3:18 rtcp.trust.alow_any: unknown key "alow_any"; did you mean "allow_any"?'],
    ['role: gateway\ndevice: { key: k }\nrtcp: { trust: { allowAny: true } }\n',
      '3:18 rtcp.trust.allowAny: unknown key "allowAny"; did you mean "allow_any"?'],
    ['role: gateway\ndevice: { key: k }\nzone: x\n',
      '3:1 zone: unknown key "zone"; known keys: role, device, log, rtcp, stacks, chains, control, access_log, acme, sn, sysconfig'],
    ['role: gateway\ndevice: { key: k }\nrtcp: { lisen: [] }\n',
      '3:9 rtcp.lisen: unknown key "lisen"; did you mean "listen"?'],
    ['role: gateway\ndevice: { key: k }\nrtcp: { targets: lopback }\n',
      '3:18 rtcp.targets: must be one of loopback, any, none, got "lopback"; did you mean "loopback"?'],
    ['role: gateway\ndevice: {}\n', '2:9 device: missing required key "key"'],
    ['role: gateway\ndevice: { key: "" }\n', '2:16 device.key: must not be empty'],
    ['role: gateway\ndevice: { key: k }\nrtcp: { listen: "127.0.0.1:1" }\n', '3:17 rtcp.listen: must be a list, got "127.0.0.1:1"'],
    ['role: gateway\ndevice: { key: k }\nrtcp: { trust: { allow_any: yes } }\n', '3:29 rtcp.trust.allow_any: must be true or false, got "yes"'],
    ['role: gateway\ndevice: { key: k }\nrtcp:\n  limits:\n    max_streams_per_tunnel: 0\n',
      '5:29 rtcp.limits.max_streams_per_tunnel: must be a whole number of at least 1, got 0'],
    ['role: gateway\ndevice: { key: k }\nrtcp:\n  limits:\n    stream_open_rate: 2.5\n',
      '5:23 rtcp.limits.stream_open_rate: must be a whole number of at least 1, got 2.5'],
    ['role: gateway\ndevice: { key: k }\nrtcp:\n  keepalive:\n    interval: 5 s\n',
      '5:15 rtcp.keepalive.interval: must be a duration such as "10s", "250ms", "2m" or a number of milliseconds, got "5 s"'],
    ['role: gateway\ndevice: { key: k }\nrtcp:\n  limits:\n    stream_buffer: 4mb\n',
      '5:20 rtcp.limits.stream_buffer: must be a size such as "4MiB", "64KiB" or a number of bytes, got "4mb"'],
    ['role: gateway\ndevice: { key: k }\nstacks:\n  - id: web\n    listen: 127.0.0.1:1\n',
      '4:5 stacks[0]: missing "chain" (the chain connections enter) or "forward" (one tunnel URL for everything)'],
    ['role: gateway\ndevice: { key: k }\nstacks:\n  - id: "a b"\n    listen: 127.0.0.1:1\n    forward: mem://x\n',
      '4:9 stacks[0].id: must be an id of letters, digits, "_", "." or "-", got "a b"'],
    ['role: gateway\ndevice: { key: k }\nlog:\n  level:\n', '4:3 log.level: must be one of fatal, error, warn, info, debug, trace, silent, got nothing (null)'],
    ['[1, 2]\n', '1:1 must be a mapping of keys, got a list'],
    ['', '1:1 the file is empty; expected a mapping with role, device and rtcp keys']
  ]
  for (const [text, expected] of cases) t.same(problems(text), [`${FILE}:${expected}`], expected)
})

t.test('cross-references, each at its position', async t => {
  const base = `role: gateway\ndevice: { key: k }\n`
  const cases: Array<[string, string]> = [
    [`rtcp:\n  peers:\n    home: { did: ${D1}, via: sm }\n    sn: { did: ${D2}, addrs: ["1.2.3.4:1"] }\n`,
      '5:76 rtcp.peers.home.via: names no configured peer "sm"; did you mean "sn"?'],
    [`rtcp:\n  peers:\n    home: { did: ${D1}, via: home }\n`, '5:76 rtcp.peers.home.via: a peer cannot be reached via itself'],
    [`rtcp:\n  peers:\n    home: { did: ${D1}, via: sn }\n    sn: { did: ${D2} }\n`,
      '5:76 rtcp.peers.home.via: the relay peer "sn" has no addrs to dial'],
    [`rtcp:\n  peers:\n    sn: { did: ${D1}, keep: true }\n`,
      '5:75 rtcp.peers.sn.keep: keep is true but the peer has no addrs and no via: it can never be dialed'],
    [`rtcp:\n  peers:\n    a: { did: ${D1} }\n    b: { did: ${D1} }\n`, '6:15 rtcp.peers.b.did: peer "a" has the same did; one device needs one name'],
    [`rtcp:\n  peers:\n    "a.b": { did: ${D1} }\n`, '5:5 rtcp.peers["a.b"]: a peer name must be letters, digits, "_" or "-" (it is the host of rtcp:// URLs)'],
    [`rtcp:\n  peers:\n    sn: { did: ${D1}, addrs: ["sn:99999"] }\n`, '5:77 rtcp.peers.sn.addrs[0]: port 99999 is out of range 1-65535, got "sn:99999"'],
    [`rtcp:\n  trust: { devices: [home] }\n`, '4:22 rtcp.trust.devices[0]: names no configured peer "home"; rtcp.peers is empty'],
    [`rtcp:\n  trust: { devices: ["did:dev:abc"] }\n`, '4:22 rtcp.trust.devices[0]: must be a did:dev:<base64url> string or a peer name, got "did:dev:abc"'],
    [`rtcp:\n  listen: ["localhost:4430"]\n`, '4:12 rtcp.listen[0]: listen on an IP address, not the name "localhost", got "localhost:4430"'],
    [`rtcp:\n  listen: ["::1:4430"]\n`, '4:12 rtcp.listen[0]: an IPv6 address must be written in brackets: [addr]:port, got "::1:4430"'],
    [`rtcp:\n  listen: ["127.0.0.1"]\n`, '4:12 rtcp.listen[0]: must be host:port (IPv6 as [addr]:port), got "127.0.0.1"'],
    [`rtcp:\n  keepalive: { timeout: 0s }\n`, '4:25 rtcp.keepalive.timeout: must be more than 0, got "0s"'],
    [`rtcp:\n  reconnect: { initial: 10s, max: 5s }\n`, '4:25 rtcp.reconnect.initial: must not exceed reconnect.max (5s), got "10s"'],
    ['stacks:\n  - { id: a, listen: "127.0.0.1:1", forward: "mem://x" }\n  - { id: a, listen: "127.0.0.1:2", forward: "mem://x" }\n',
      '5:11 stacks[1].id: duplicate stack id "a"'],
    ['stacks:\n  - { id: a, listen: "127.0.0.1:1", forward: "mem://x" }\n  - { id: b, listen: "127.0.0.1:1", forward: "mem://x" }\n',
      '5:22 stacks[1].listen: another stack already listens on 127.0.0.1:1'],
    ['stacks:\n  - { id: a, listen: "127.0.0.1:1", forward: "http://x:80" }\n', '4:46 stacks[0].forward: scheme "http" is not one of tcp, tls, rtcp, socks, mem, internal, service'],
    ['stacks:\n  - { id: a, listen: "127.0.0.1:1", forward: "nonsense" }\n',
      '4:46 stacks[0].forward: must be a tunnel URL such as "rtcp://home/:3000" or "tcp://127.0.0.1:3000", got "nonsense"'],
    ['stacks:\n  - { id: a, listen: "127.0.0.1:1", forward: "tcp://example.net" }\n',
      '4:46 stacks[0].forward: a tcp URL needs a host and port: tcp://host:port, got "tcp://example.net"'],
    ['stacks:\n  - { id: a, listen: "127.0.0.1:1", forward: "rtcp://hom/:80" }\n', '4:46 stacks[0].forward: names no configured peer "hom"; rtcp.peers is empty'],
    [`rtcp: { peers: { home: { did: ${D1} } } }\nstacks:\n  - { id: a, listen: "127.0.0.1:1", forward: "rtcp://home/:80" }\n`,
      '5:46 stacks[0].forward: peer "home" has no addrs and no via: it can never be reached'],
    [`rtcp: { peers: { home: { did: ${D1}, addrs: ["h:1"] } } }\nstacks:\n  - { id: a, listen: "127.0.0.1:1", forward: "rtcp://home" }\n`,
      '5:46 stacks[0].forward: names nothing to reach on the peer; add a target such as /:3000, got "rtcp://home"']
  ]
  for (const [text, expected] of cases) t.same(problems(base + text), [`${FILE}:${expected}`], expected)
})

t.test('rtcp forward URLs may name a device by key instead of by peer name', async t => {
  const key = D1.slice('did:dev:'.length)
  for (const host of [key, encodeURIComponent(D1)]) {
    t.same(problems(`role: gateway\ndevice: { key: k }\nstacks: [{ id: a, listen: "127.0.0.1:0", forward: "rtcp://${host}/:80" }]\n`), [], host)
  }
})

t.test('every problem is reported at once, in file order', async t => {
  const text = `role: gateway
device: { key: k, extra: 1 }
log: { level: loud }
rtcp:
  listen: ["127.0.0.1:99999"]
  trust: { devices: [nobody] }
  peers:
    sn: { did: abc }
  limits: { handshake_timeout: soon }
stacks:
  - { id: a, listen: "127.0.0.1:1", forward: "ftp://x" }
  - { id: a, listen: "127.0.0.1:2", forward: "mem://x" }
`
  const found = problems(text)
  t.same(found.map(p => p.split(' ')[0].slice(FILE.length + 1)), ['2:19', '3:15', '5:12', '6:22', '8:16', '9:32', '11:46', '12:11'], found.join('\n'))
  const err = t.throws(() => loadConfigText(text, FILE), { code: 'CFG_ERR_INVALID' }) as Error & { problems: unknown[] }
  t.equal(err.problems.length, 8)
  t.match(err.message, /configs\/home\.yaml has 8 problems:\n/)
  t.match(err.message, 'configs/home.yaml:8:16 rtcp.peers.sn.did: must be a did:dev:<base64url> string, got "abc"')
})

t.test('YAML syntax errors carry their position', async t => {
  t.same(problems('role: gateway\ndevice: { key: k }\nrole: sn\n'), [`${FILE}:3:1 YAML: Map keys must be unique`])
  t.same(problems('role: gateway\n\tdevice: x\n'), [`${FILE}:2:1 YAML: Tabs are not allowed as indentation`])
  const flow = problems('role: gateway\nrtcp: { listen: [1, 2 }\n')
  t.ok(flow.length >= 1)
  t.match(flow[0], `${FILE}:2:23 YAML: Flow sequence`)
  t.same(problems('a: 1\n---\nb: 2\n').length, 1)
  t.match(problems('a: 1\n---\nb: 2\n')[0], `${FILE}:2:1 YAML: Source contains multiple documents`)
  t.match(problems('role: gateway\ndevice: { key: *nokey }\n')[0], `${FILE}:1:1 YAML: Unresolved alias`)
})

t.test('anchors work, but cannot expand without bound', async t => {
  const ok = `role: gateway\ndevice: { key: k }\nrtcp:\n  keepalive: &fast { interval: 1s, timeout: 1s }\n  reconnect: { initial: 1s, max: 1s }\n`
  t.same(problems(ok), [])
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
  for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`)
  const bomb = problems(lines.join('\n') + '\n')
  t.equal(bomb.length, 1)
  t.match(bomb[0], 'YAML: Excessive alias count')
})

t.test('random text and bytes only ever give CFG_ERR_INVALID', async t => {
  const onlyCoded = (text: string): boolean => {
    try {
      loadConfigText(text, FILE)
      return true
    } catch (err) {
      return (err as { code?: string }).code === 'CFG_ERR_INVALID' && (err as { problems: unknown[] }).problems.length > 0
    }
  }
  const limit = { interruptAfterTimeLimit: 4000, numRuns: 100_000 }
  fc.assert(fc.property(fc.string({ maxLength: 400 }), onlyCoded), limit)
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), bytes => onlyCoded(Buffer.from(bytes).toString('utf8'))), limit)
  // YAML that parses, shaped like our configs: keys from our vocabulary, any values
  const word = fc.constantFrom('role', 'gateway', 'sn', 'device', 'key', 'rtcp', 'listen', 'peers', 'did', 'addrs', 'via', 'keep',
    'trust', 'devices', 'allow_any', 'limits', 'stacks', 'id', 'forward', 'targets', 'relay', 'keepalive', 'reconnect', D1, '10s', '4MiB', '127.0.0.1:0')
  const value = fc.letrec(tie => ({
    node: fc.oneof({ depthSize: 'small' }, word, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(word, tie('node'), { maxKeys: 5 }))
  })).node
  fc.assert(fc.property(fc.dictionary(word, value, { maxKeys: 6 }), doc => onlyCoded(YAML.stringify(doc))), limit)
})

t.test('loadConfig reads files; unreadable files are CFG_ERR_READ', async t => {
  const dir = t.testdir({ 'gw.yaml': 'role: gateway\ndevice: { key: k.pem }\n', 'bad.yaml': 'role: gateway\n' })
  const c = await loadConfig(join(dir, 'gw.yaml'))
  t.equal(c.device.keyFile, join(dir, 'k.pem'))
  await t.rejects(loadConfig(join(dir, 'missing.yaml')), { code: 'CFG_ERR_READ' })
  await t.rejects(loadConfig(dir), { code: 'CFG_ERR_READ' }, 'a directory')
  await t.rejects(loadConfig(join(dir, 'bad.yaml')), { code: 'CFG_ERR_INVALID' })
  await t.rejects(validateConfigFile(join(dir, 'missing.yaml')), { code: 'CFG_ERR_READ' })
})

t.test('validateConfigFile checks the key file only when asked', async t => {
  const dir = t.testdir({ 'gw.yaml': 'role: gateway\ndevice:\n  key: keys/k.pem\n', 'bad.yaml': 'role: gateway\n' })
  const file = join(dir, 'gw.yaml')
  t.same(await validateConfigFile(file), [], 'the key need not exist')
  const missing = await validateConfigFile(file, { checkFiles: true })
  t.equal(missing.length, 1)
  t.match(formatProblem(missing[0]), `${file}:3:8 device.key: cannot read key file ${join(dir, 'keys/k.pem')}: ENOENT`)
  await generateKeyFile(join(dir, 'keys/k.pem'))
  t.same(await validateConfigFile(file, { checkFiles: true }), [])
  await writeFile(join(dir, 'keys/k.pem'), 'junk')
  t.match((await validateConfigFile(file, { checkFiles: true }))[0], { path: 'device.key', line: 3, col: 8, message: /not an Ed25519 private key/ })
  t.equal((await validateConfigFile(join(dir, 'bad.yaml'), { checkFiles: true })).length, 1, 'schema problems first; no key check')
  t.equal(dirname(file), dir)
})
