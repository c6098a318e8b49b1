// The whole SN story with real processes on loopback: pebble (a real ACME CA) resolving through
// the SN's own DNS, an SN that gets its own certificate by dns-01, a zone registered with an
// invitation code, a home gateway that only dials out, reports its address and gets a pebble
// certificate for <zone> and *.<zone> through the SN; then curl, with certificate verification,
// reaches a service on the home machine through the SN's public TLS port (TLS passthrough over
// the rtcp tunnel, the client address carried by PROXY v2), dig answers the zone's names, a device
// of another zone cannot change this zone's records, and after an SN restart all of it works again
// without registering anything again.
import t from 'tap'
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { X509Certificate } from 'node:crypto'
import { zonegate, zonegateRun, keygen, writeConfig, freePort, type ZonegateProcess, eventually } from './harness/proc.ts'
import { curl, markerServer } from './harness/chain.ts'
import { startPebble, type Pebble } from '../test/helpers/pebble.ts'
import { dig } from '../test/helpers/dig.ts'
import { loadDeviceKey } from '../src/identity/key-file.ts'
import { createSnClient } from '../src/zone/sn-client.ts'

const DOMAIN = 'sn.test'
const ZONE = `alice.${DOMAIN}`

async function status (file: string): Promise<Record<string, any>> {
  const { stdout } = await zonegateRun(['status', '-c', file])
  return JSON.parse(stdout)
}

t.test('run your own SN: register, tunnel, DNS, certificates, public ingress, restart', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'zonegate-sn-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const [snKey, owner, home, bobOwner, bobDev] = await Promise.all(['sn', 'owner', 'home', 'bob-owner', 'bob-dev'].map(async n => await keygen(dir, n)))
  const [rtcpPort, dnsPort, httpsPort, httpPort, ctrlPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()])

  const pebble: Pebble = await startPebble({ dnsServer: `127.0.0.1:${dnsPort}`, httpPort })
  t.teardown(() => pebble.stop())
  await writeFile(join(dir, 'pebble-https-ca.pem'), pebble.caPem)
  const acme = (certificates: unknown[], state?: string): Record<string, unknown> => ({
    directory: pebble.directoryUrl, ca: 'pebble-https-ca.pem', ...(state != null ? { state } : {}), certificates
  })

  const snFile = await writeConfig(dir, 'sn', {
    role: 'sn',
    device: { key: snKey.file },
    rtcp: { listen: [`127.0.0.1:${rtcpPort}`], targets: 'none' },
    sn: {
      domain: DOMAIN,
      store: 'sn.db',
      public_addrs: ['127.0.0.1'],
      names: { [`www.${DOMAIN}`]: ['127.0.0.1'] },
      dns: { listen: [`127.0.0.1:${dnsPort}`], ttl: '5s' },
      report_ttl: '1m'
    },
    acme: acme([
      { id: 'sn', names: [DOMAIN], challenge: 'dns-01' },
      { id: 'www', names: [`www.${DOMAIN}`], challenge: 'http-01' }
    ]),
    control: { listen: `127.0.0.1:${ctrlPort}` },
    stacks: [
      { id: 'https', listen: `127.0.0.1:${httpsPort}`, chain: 'public-tls' },
      { id: 'http', listen: `127.0.0.1:${httpPort}`, chain: 'public-http' }
    ],
    chains: {
      'public-tls': {
        probe: ['tls'],
        routes: [
          { id: 'api', match: { sni: [DOMAIN] }, process: { tls_terminate: { acme: 'sn' }, then: 'api' } },
          { id: 'www', match: { sni: [`www.${DOMAIN}`] }, process: { tls_terminate: { acme: 'www' }, then: 'api' } },
          { id: 'zones', match: { sni: `*.${DOMAIN}` }, process: { zone: { target: 'https', proxy_protocol: 'v2' } } }
        ]
      },
      api: { probe: ['http'], routes: [{ id: 'api', process: { http_proxy: 'internal://api' } }] },
      'public-http': {
        probe: ['http'],
        routes: [
          { id: 'acme', match: { path_prefix: '/.well-known/acme-challenge/' }, process: { http_proxy: 'internal://api' } },
          { id: 'zones', process: { zone: { target: 'http', proxy_protocol: 'v2' } } }
        ]
      }
    }
  })
  const startSn = async (): Promise<ZonegateProcess> => {
    const p = zonegate(t, 'sn', ['sn', '-c', snFile])
    await p.waitFor(l => l.msg === 'sn ready', 20_000)
    return p
  }
  let sn = await startSn()

  // The SN's own certificates: dns-01 through its own DNS, http-01 on its port 80 route.
  const snCerts = await eventually('the SN has its certificates', 30_000, async () => {
    const certs = (await status(snFile)).sn?.certificates as Array<{ id: string, notAfter?: string }> | undefined
    return certs != null && certs.every(c => c.notAfter != null) ? certs : undefined
  })
  t.same(snCerts.map(c => c.id).sort(), ['sn', 'www'])
  const root = await pebble.rootPem()
  await writeFile(join(dir, 'root.pem'), root)

  // The operator makes invitation codes; the owner registers the zone and signs its device list.
  const invite = (await zonegateRun(['sn', '-c', snFile, 'invite', 'create', '--uses', '1'])).stdout.trim()
  t.match(invite, /^[A-Za-z0-9_-]{16,}$/, 'an invitation code')
  const api = ['--sn', `https://${DOMAIN}:${httpsPort}`, '--connect-to', `127.0.0.1:${httpsPort}`, '--ca', join(dir, 'root.pem')]
  const reg = await zonegateRun(['zone', 'register', ...api, '--invite', invite, '--name', 'alice', '--owner', owner.file])
  t.match(reg.stdout, ZONE)
  await t.rejects(zonegateRun(['zone', 'register', ...api, '--invite', invite, '--name', 'carol', '--owner', owner.file]), /SN_ERR_/, 'a used-up invitation is refused')
  await zonegateRun(['zone', 'add-device', ...api, '--zone', ZONE, '--owner', owner.file, '--device', home.did, '--name', 'home'])

  // The home gateway: dials out to the SN only, serves its zone's names with a pebble certificate.
  const app = await markerServer(t, 'home-app')
  const homeFile = await writeConfig(dir, 'home', {
    role: 'gateway',
    device: { key: home.file },
    rtcp: { peers: { sn: { did: snKey.did, addrs: [`127.0.0.1:${rtcpPort}`], keep: true } }, trust: { devices: ['sn'] }, reconnect: { initial: '100ms', max: '1s' } },
    sn: { url: `https://${DOMAIN}:${httpsPort}`, connect: `127.0.0.1:${httpsPort}`, ca: 'root.pem', domain: DOMAIN, zone: ZONE, dns: `127.0.0.1:${dnsPort}`, report_interval: '1s', addrs: ['127.0.0.9'] },
    acme: acme([{ id: 'zone', names: [ZONE, `*.${ZONE}`] }], 'home-acme'),
    control: { listen: `127.0.0.1:${await freePort()}` },
    stacks: [
      { id: 'https', listen: 'rtcp://local/https', chain: 'zone-tls' },
      { id: 'http', listen: 'rtcp://local/http', chain: 'zone-http' }
    ],
    chains: {
      // Plain HTTP to the zone's names, routed by Host on the SN's port 80: send browsers to https.
      'zone-http': {
        probe: ['proxy_protocol', 'http'],
        trusted_proxies: ['sn'], // the SN's PROXY headers, on streams it opens over rtcp
        routes: [{ id: 'to-https', process: { redirect: { to: 'https://{host}{uri}', status: 301 } } }]
      },
      'zone-tls': {
        probe: ['proxy_protocol', 'tls'],
        trusted_proxies: ['sn'], // the SN's PROXY headers, on streams it opens over rtcp
        routes: [{ id: 'tls', process: { tls_terminate: { acme: 'zone' }, then: 'apps' } }]
      },
      apps: { probe: ['http'], routes: [{ id: 'app', process: { http_proxy: `tcp://127.0.0.1:${app.port}` } }] }
    }
  })
  const homeGw = zonegate(t, 'home', ['gateway', '-c', homeFile])
  await homeGw.waitFor(l => l.msg === 'tunnel up', 20_000)

  // DDNS: the zone is not directly reachable, so its names resolve to the SN; the device's own
  // name resolves to the address it reported.
  // Until the first report, the wildcard answers for the device's name too.
  const devA = await eventually('home.<zone> resolves to its reported address', 15_000, async () => {
    const r = await dig(dnsPort, `home.${ZONE}`, 'A')
    return r.answer[0]?.data === '127.0.0.9' ? r : undefined
  })
  t.same(devA.answer.map(a => a.data), ['127.0.0.9'])
  t.ok(devA.flags.includes('aa'), 'authoritative')
  const zoneA = await dig(dnsPort, `APP.${ZONE.toUpperCase()}`, 'A')
  t.same(zoneA.answer.map(a => a.data), ['127.0.0.1'], 'a wildcard name of the zone resolves to the SN, case-insensitively')
  const nx = await dig(dnsPort, `nobody.${DOMAIN}`, 'A')
  t.equal(nx.status, 'NXDOMAIN')
  t.equal(nx.authority[0]?.type, 'SOA')

  // The zone's certificate, for <zone> and *.<zone>, by dns-01 through the SN.
  const zoneCert = await eventually('the home gateway has its certificate', 40_000, async () => {
    const c = ((await status(homeFile)).certificates as Array<{ id: string, notAfter?: string }> | undefined)?.find(c => c.id === 'zone')
    return c?.notAfter != null ? c : undefined
  })
  t.ok(zoneCert.notAfter)
  const txt = await dig(dnsPort, `_acme-challenge.${ZONE}`, 'TXT')
  t.same(txt.answer, [], 'the challenge values were removed after the order')

  // A browser's view: real name, real certificate (verified against pebble's root), through the SN.
  const fetchApp = async (): Promise<ReturnType<typeof curl>> => await curl([
    '--resolve', `app.${ZONE}:${httpsPort}:127.0.0.1`, '--cacert', join(dir, 'root.pem'),
    '--interface', '127.0.0.2', '-D', '-', `https://app.${ZONE}:${httpsPort}/hello`
  ])
  const r1 = await eventually('the app answers through the SN', 15_000, async () => {
    const r = await fetchApp()
    return r.code === 0 && r.stdout.includes('home-app') ? r : undefined
  })
  t.match(r1.stdout, /^HTTP\/1\.1 200/)
  const seen = app.seen[app.seen.length - 1]
  t.equal(seen.headers['x-forwarded-for'], '127.0.0.2', 'the real client address reached the zone (PROXY v2 through the tunnel)')
  t.equal(seen.headers.host, `app.${ZONE}:${httpsPort}`)
  // The certificate the client saw is the home gateway's, issued for the zone's wildcard.
  const homeState = join(dir, 'home-acme')
  const chainPem = await readFile(join(homeState, 'cert', 'zone', 'chain'), 'utf8').catch(() => undefined)
  if (chainPem != null) t.ok(new X509Certificate(chainPem).subjectAltName?.includes(`*.${ZONE}`))

  // Port 80, routed by Host through the zone's tunnel; a name of no zone gets a coded 404.
  const plain = await curl(['-D', '-', '-o', '/dev/null', '--resolve', `app.${ZONE}:${httpPort}:127.0.0.1`, `http://app.${ZONE}:${httpPort}/x?y=1`])
  t.match(plain.stdout, /^HTTP\/1\.1 301/, 'the zone answered plain HTTP itself')
  t.match(plain.stdout, new RegExp(`location: https://app\\.${ZONE.replace(/\./g, '\\.')}(:${httpPort})?/x\\?y=1`, 'i'))
  const none = await curl(['-D', '-', '-o', '/dev/null', '--resolve', `app.nobody.${DOMAIN}:${httpPort}:127.0.0.1`, `http://app.nobody.${DOMAIN}:${httpPort}/`])
  t.match(none.stdout, /^HTTP\/1\.1 404/)
  t.match(none.stdout, /x-zonegate-error: CHAIN_ERR_ZONE_UNKNOWN/i)

  // Another zone's device cannot change this zone's records.
  const invite2 = (await zonegateRun(['sn', '-c', snFile, 'invite', 'create'])).stdout.trim()
  await zonegateRun(['zone', 'register', ...api, '--invite', invite2, '--name', 'bob', '--owner', bobOwner.file])
  await zonegateRun(['zone', 'add-device', ...api, '--zone', `bob.${DOMAIN}`, '--owner', bobOwner.file, '--device', bobDev.did, '--name', 'dev'])
  const bobKey = await loadDeviceKey(bobDev.file)
  const bob = createSnClient({ url: `https://${DOMAIN}:${httpsPort}`, connectTo: { host: '127.0.0.1', port: httpsPort }, ca: root, audience: DOMAIN, zone: `bob.${DOMAIN}`, device: bobKey })
  await bob.putTxt(`_test.bob.${DOMAIN}`, 'mine')
  const refused = await bob.putTxt(`_acme-challenge.${ZONE}`, 'evil').then(() => undefined, (err: { snCode?: string, status?: number }) => err)
  t.equal(refused?.status, 403, 'bob cannot write into alice\'s zone')
  t.match(refused?.snCode, /^SN_ERR_/)
  const evil = await dig(dnsPort, `_acme-challenge.${ZONE}`, 'TXT')
  t.same(evil.answer, [])
  const bobsOwn = await dig(dnsPort, `_test.bob.${DOMAIN}`, 'TXT')
  t.same(bobsOwn.answer.map(a => a.data), ['"mine"'])

  // Restart the SN: zones, devices, certificates survive; the home gateway comes back by itself.
  const snTunnelsBefore = homeGw.lines.filter(l => l.msg === 'tunnel up').length
  await sn.stop()
  const restarted = Date.now()
  sn = await startSn()
  t.notOk(sn.lines.some(l => /order/.test(String(l.msg)) && l.id === 'sn'), 'the SN reuses its stored certificate')
  await homeGw.waitFor(l => l.msg === 'tunnel up', 20_000, snTunnelsBefore > 0 ? homeGw.lines.findLastIndex(l => l.msg === 'tunnel up') + 1 : 0)
  // Spec §11 asks for every device back within 10 s of an SN restart (reported, not asserted).
  t.comment(`the home gateway was back ${Date.now() - restarted} ms after the SN was started again`)
  const r2 = await eventually('the app answers again after the SN restart', 20_000, async () => {
    const r = await fetchApp()
    return r.code === 0 && r.stdout.includes('home-app') ? r : undefined
  })
  t.match(r2.stdout, /^HTTP\/1\.1 200/)
  const again = await dig(dnsPort, `home.${ZONE}`, 'A', { tcp: true })
  t.equal(again.answer[0]?.data, '127.0.0.9', 'DNS over TCP after the restart')

  // The denylist: denying the zone closes its open tunnel and keeps it out; allowing lets it back.
  const downsBefore = homeGw.lines.filter(l => l.msg === 'tunnel down').length
  const denied = JSON.parse((await zonegateRun(['sn', '-c', snFile, 'deny', 'zone', ZONE])).stdout)
  t.equal(denied.denied, true)
  await homeGw.waitFor(l => l.msg === 'tunnel down', 10_000, homeGw.lines.findLastIndex(l => l.msg === 'tunnel down') + 1)
  t.ok(homeGw.lines.filter(l => l.msg === 'tunnel down').length > downsBefore, 'the SN closed the denied zone\'s tunnel')
  const blocked = await fetchApp()
  t.not(blocked.code, 0, 'a denied zone is not reachable')
  await zonegateRun(['sn', '-c', snFile, 'allow', 'zone', ZONE])
  const back = await eventually('the zone is reachable again once allowed', 20_000, async () => {
    const r = await fetchApp()
    return r.code === 0 && r.stdout.includes('home-app') ? r : undefined
  })
  t.match(back.stdout, /^HTTP\/1\.1 200/)
})
