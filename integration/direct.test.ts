// remote → home over rtcp without an SN; admission by key; many streams over one tunnel.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { keygen, writeConfig, zonegate } from './harness/proc.ts'
import { httpService, echoService, curlText, FAST_KEEPALIVE, FAST_RECONNECT } from './harness/zone.ts'

async function directPair (t: { teardown: (fn: () => unknown) => void }, dir: string, forwardTarget: string, extraTrust: string[] = []) {
  const home = await keygen(dir, 'home')
  const remote = await keygen(dir, 'remote')
  const homeCfg = await writeConfig(dir, 'home', {
    role: 'gateway',
    device: { key: home.file },
    rtcp: { listen: ['127.0.0.1:0'], trust: { devices: [remote.did, ...extraTrust] } }
  })
  const homeProc = zonegate(t, 'home', ['gateway', '-c', homeCfg])
  const rtcpUrl = await homeProc.listening()
  const remoteCfg = await writeConfig(dir, 'remote', {
    role: 'gateway',
    device: { key: remote.file },
    rtcp: {
      trust: { devices: ['home'] },
      peers: { home: { did: home.did, addrs: [rtcpUrl.host], keep: true } },
      keepalive: FAST_KEEPALIVE,
      reconnect: FAST_RECONNECT,
      limits: { max_streams_per_tunnel: 4096, stream_open_rate: 5000 }
    },
    stacks: [{ id: 'entry', listen: '127.0.0.1:0', forward: `rtcp://home/${forwardTarget}` }]
  })
  const remoteProc = zonegate(t, 'remote', ['gateway', '-c', remoteCfg])
  const entry = await remoteProc.listening({ stack: 'entry' })
  return { home, remote, homeProc, remoteProc, rtcpUrl, entry }
}

t.test('direct path: remote gateway → home gateway over rtcp, no SN', async t => {
  const svc = await httpService(t)
  const { entry, remoteProc } = await directPair(t, t.testdir(), `:${svc.port}`)
  const r = await curlText(`http://${entry.host}/direct`)
  t.equal(r.code, 0, r.stderr)
  t.equal(r.body, 'hello from home, you asked for /direct')
  const up = await remoteProc.waitFor(l => l.msg === 'tunnel up' && l.peer === 'home')
  t.equal(up.relayed, false, 'a direct tunnel')
})

t.test('a device whose key is not trusted is refused, and the refusal is logged', async t => {
  const dir = t.testdir()
  const svc = await httpService(t)
  const { homeProc, rtcpUrl } = await directPair(t, dir, `:${svc.port}`)
  const stranger = await keygen(dir, 'stranger')
  const home = homeProc
  const cfg = await writeConfig(dir, 'stranger', {
    role: 'gateway',
    device: { key: stranger.file },
    rtcp: {
      trust: { devices: ['home'] },
      // the stranger knows home's key and address, but home does not trust the stranger
      peers: { home: { did: (await home.waitFor(l => l.msg === 'gateway started')).did, addrs: [rtcpUrl.host] } }
    },
    stacks: [{ id: 'entry', listen: '127.0.0.1:0', forward: `rtcp://home/:${svc.port}` }]
  })
  const s = zonegate(t, 'stranger', ['gateway', '-c', cfg])
  const entry = await s.listening({ stack: 'entry' })
  const r = await curlText(`http://${entry.host}/nope`, 10)
  t.not(r.code, 0, 'the request through the untrusted device fails')
  const refusal = await home.waitFor(l => l.msg === 'untrusted device refused')
  t.equal(refusal.peer, stranger.did, 'home logged the refused identity')
  t.equal(refusal.level, 40, 'as a warning')
})

t.test('1 000 concurrent streams over one tunnel all complete', async t => {
  const echoPort = await echoService(t)
  const { entry, remoteProc } = await directPair(t, t.testdir(), `:${echoPort}`)
  const N = 1000
  const port = Number(entry.port)
  const one = (i: number): Promise<boolean> => new Promise(resolve => {
    const payload = Buffer.concat([Buffer.from(`stream-${i}:`), randomBytes(2048)])
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    const got: Buffer[] = []
    c.on('data', d => got.push(d))
    c.on('error', () => resolve(false))
    c.on('end', () => { c.end(); resolve(Buffer.concat(got).equals(payload)) })
    c.setTimeout(60_000, () => { c.destroy(); resolve(false) })
    // Hold every stream open until all have connected, so they really are concurrent.
    c.on('connect', () => { opened.push(() => c.end(payload)); if (opened.length === N) for (const f of opened) f() })
  })
  const opened: Array<() => void> = []
  const results = await Promise.all(Array.from({ length: N }, (_, i) => one(i)))
  t.equal(results.filter(Boolean).length, N, 'every stream echoed its bytes')
  const tunnels = remoteProc.lines.filter(l => l.msg === 'tunnel up' && l.peer === 'home')
  t.equal(tunnels.length, 1, 'all over one tunnel')
})
