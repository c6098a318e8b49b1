// Chains and rtcp: a stack that listens for named streams (rtcp://local/<name>) and matches on the
// device that opened them, and http_proxy to an upstream reached over rtcp.
import t from 'tap'
import { keygen, writeConfig, zonegate } from './harness/proc.ts'
import { curl, markerServer, rtcpHome } from './harness/chain.ts'
import { FAST_KEEPALIVE, FAST_RECONNECT } from './harness/zone.ts'

t.test('streams from another device enter a chain that knows which device sent them', async t => {
  const dir = t.testdir()
  const svc = await markerServer(t, 'home-svc')
  const home = await keygen(dir, 'home')
  const remote = await keygen(dir, 'remote')
  const stranger = await keygen(dir, 'stranger')
  const { proc: homeProc, addr: homeAddr } = await rtcpHome(t, dir, home, [remote.did, stranger.did], {
    rtcp: { peers: { remote: { did: remote.did } } },
    stacks: [{ id: 'from_devices', listen: 'rtcp://local/web', chain: 'devices' }],
    chains: {
      devices: {
        probe: ['http'],
        routes: [
          { id: 'known', match: { peer: 'remote' }, process: { http_proxy: `tcp://127.0.0.1:${svc.port}` } },
          { id: 'others', process: { respond: { status: 403, body: 'not for you\n' } } }
        ]
      }
    }
  })
  await homeProc.listening({ stack: 'from_devices' })

  const entryOf = async (name: string, key: { file: string }): Promise<string> => {
    const cfg = await writeConfig(dir, name, {
      role: 'gateway',
      device: { key: key.file },
      rtcp: { trust: { devices: ['home'] }, peers: { home: { did: home.did, addrs: [homeAddr], keep: true } }, keepalive: FAST_KEEPALIVE, reconnect: FAST_RECONNECT },
      stacks: [{ id: 'entry', listen: '127.0.0.1:0', chain: 'entry' }],
      chains: { entry: { probe: ['http'], routes: [{ process: { http_proxy: 'rtcp://home/web' } }] } }
    })
    const p = zonegate(t, name, ['gateway', '-c', cfg])
    return (await p.listening({ stack: 'entry' })).host
  }
  const remoteEntry = await entryOf('remote', remote)
  const strangerEntry = await entryOf('stranger', stranger)

  // Several requests on one client connection: the remote keeps its rtcp stream to home pooled.
  const r = await curl(['--fail', `http://${remoteEntry}/a`, `http://${remoteEntry}/b`, `http://${remoteEntry}/c`])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'home-svc /ahome-svc /bhome-svc /c', 'the known device reaches the service')
  t.equal(svc.seen.length, 3)
  const s = await curl(['-i', `http://${strangerEntry}/a`])
  t.match(s.stdout, /^HTTP\/1\.1 403/)
  t.match(s.stdout, /not for you/, 'another trusted device gets the other route')
  const line = await homeProc.waitFor(l => l.msg === 'access' && l.route === 'known')
  t.equal(line.stack, 'from_devices')
  t.equal(line.path, '/a')
})
