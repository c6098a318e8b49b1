// The SOCKS5 stack: curl --socks5-hostname through a gateway whose chain sends a zone name over
// rtcp to a device, connects other names directly, and refuses the rest; logins from a variable.
import t from 'tap'
import { keygen, writeConfig, zonegate } from './harness/proc.ts'
import { curl, markerServer, rtcpHome } from './harness/chain.ts'
import { FAST_KEEPALIVE, FAST_RECONNECT } from './harness/zone.ts'
import { startMicrosocks, MICROSOCKS_SKIP } from '../test/helpers/socks-peers.ts'

t.test('curl --socks5-hostname reaches a device by name over rtcp; direct and reject by rule', async t => {
  const dir = t.testdir()
  const nas = await markerServer(t, 'nas-service')
  const local = await markerServer(t, 'local-service')
  const home = await keygen(dir, 'home')
  const gw = await keygen(dir, 'gw')
  const { addr: homeAddr } = await rtcpHome(t, dir, home, [gw.did])
  const gwCfg = await writeConfig(dir, 'gw', {
    role: 'gateway',
    device: { key: gw.file },
    rtcp: { trust: { devices: ['home'] }, peers: { home: { did: home.did, addrs: [homeAddr], keep: true } }, keepalive: FAST_KEEPALIVE, reconnect: FAST_RECONNECT },
    stacks: [
      { id: 'socks', listen: '127.0.0.1:0', chain: 'socks', socks: {} },
      { id: 'socks_login', listen: '127.0.0.1:0', chain: 'socks', socks: { users_env: 'ZG_SOCKS_USERS' } }
    ],
    chains: {
      socks: {
        routes: [
          { id: 'nas', match: { target: 'nas.example.test' }, process: { forward: 'rtcp://home/' } },
          { id: 'zone', match: { target: '*.example.test' }, process: { reject: true } },
          { id: 'local', match: { target: ['localhost', '127.0.0.1'] }, process: { direct: true } }
        ]
      }
    }
  })
  const gwProc = zonegate(t, 'gw', ['gateway', '-c', gwCfg], { ZG_SOCKS_USERS: 'alice:s3cret:with:colons\n' })
  const socksAddr = (await gwProc.listening({ stack: 'socks' })).host
  const loginAddr = (await gwProc.listening({ stack: 'socks_login' })).host
  await gwProc.waitFor(l => l.msg === 'keep-tunnel up' && l.peer === 'home')

  const viaNas = await curl(['--fail', '--socks5-hostname', socksAddr, `http://nas.example.test:${nas.port}/files`])
  t.equal(viaNas.code, 0, viaNas.stderr)
  t.equal(viaNas.stdout, 'nas-service /files', 'the zone name reached the device\'s port over rtcp')
  const direct = await curl(['--fail', '--socks5-hostname', socksAddr, `http://localhost:${local.port}/d`])
  t.equal(direct.stdout, 'local-service /d', 'direct')
  const refused = await curl(['--socks5-hostname', socksAddr, `http://other.example.test:${nas.port}/`])
  t.not(refused.code, 0, 'a name the rules refuse gets no connection')
  t.match(refused.stderr, /SOCKS|connection|refused|not allowed/i)
  const noRoute = await curl(['--socks5-hostname', socksAddr, 'http://elsewhere.test:80/'])
  t.not(noRoute.code, 0, 'no route: refused')

  const login = await curl(['--fail', '-x', `socks5h://alice:s3cret%3Awith%3Acolons@${loginAddr}`, `http://nas.example.test:${nas.port}/login`])
  t.equal(login.stdout, 'nas-service /login', login.stderr)
  const bad = await curl(['-x', `socks5h://alice:wrong@${loginAddr}`, `http://nas.example.test:${nas.port}/`])
  t.not(bad.code, 0, 'a wrong password is refused')
  const line = await gwProc.waitFor(l => l.msg === 'access' && l.stack === 'socks' && l.reply === 0)
  t.match(line, { chain: 'socks', command: 'connect' })
})

t.test('an rtcp tunnel carried by a SOCKS5 proxy (microsocks with a login): up with the right password, never with a wrong one', { skip: MICROSOCKS_SKIP }, async t => {
  const dir = t.testdir()
  const svc = await markerServer(t, 'home-svc')
  const proxy = await startMicrosocks(t, { username: 'corp', password: 'p@ss' })
  const home = await keygen(dir, 'home')
  const laptop = await keygen(dir, 'laptop')
  const { addr: homeAddr } = await rtcpHome(t, dir, home, [laptop.did])
  const laptopWith = async (name: string, password: string): Promise<{ entry: string, proc: ReturnType<typeof zonegate> }> => {
    const cfg = await writeConfig(dir, name, {
      role: 'gateway',
      device: { key: laptop.file },
      rtcp: {
        trust: { devices: ['home'] },
        peers: { home: { did: home.did, addrs: [homeAddr], proxy: `socks://corp:${encodeURIComponent(password)}@127.0.0.1:${proxy.port}`, keep: true } },
        keepalive: FAST_KEEPALIVE,
        reconnect: FAST_RECONNECT
      },
      stacks: [{ id: 'entry', listen: '127.0.0.1:0', forward: `rtcp://home/:${svc.port}` }]
    })
    const proc = zonegate(t, name, ['gateway', '-c', cfg])
    return { entry: (await proc.listening({ stack: 'entry' })).host, proc }
  }
  const good = await laptopWith('laptop-good', 'p@ss')
  await good.proc.waitFor(l => l.msg === 'keep-tunnel up' && l.peer === 'home')
  const r = await curl(['--fail', `http://${good.entry}/through-proxy`])
  t.equal(r.stdout, 'home-svc /through-proxy', 'the tunnel runs over the proxied connection')
  await good.proc.stop()
  const bad = await laptopWith('laptop-bad', 'wrong')
  const failed = await bad.proc.waitFor(l => l.msg === 'keep-tunnel dial failed' || l.msg === 'keep-tunnel up', 15_000)
  t.equal(failed.msg, 'keep-tunnel dial failed', 'with a wrong proxy password the tunnel never comes up')
  t.match(JSON.stringify(failed), /SOCKS_ERR_AUTH_FAILED|refused the username/)
  t.notMatch(JSON.stringify(failed), /wrong/, 'the password is not logged')
})
