// The first end-to-end path: a service on a machine that only dials out (home), reached from
// another machine (remote) through a self-hosted SN, over encrypted rtcp tunnels.
import t from 'tap'
import { relayZone, httpService, curlSha256, curlText } from './harness/zone.ts'

t.test('curl through the remote gateway reaches home through the SN; 100 MiB arrive intact', async t => {
  const svc = await httpService(t)
  const zone = await relayZone(t, t.testdir(), svc.port)
  const hello = await curlText(`http://${zone.entry.host}/hi`)
  t.equal(hello.code, 0, hello.stderr)
  t.equal(hello.body, 'hello from home, you asked for /hi')
  const up = await zone.remote.waitFor(l => l.msg === 'tunnel up' && l.peer === 'home')
  t.equal(up.relayed, true, 'remote reached home through the relay')

  const big = await curlSha256(`http://${zone.entry.host}/big?mib=100`)
  t.equal(big.code, 0, big.stderr)
  t.equal(big.bytes, 100 * 1024 * 1024, '100 MiB arrived')
  t.equal(big.sha256, svc.sha256(100), 'same SHA-256 as sent')
  const closed = await zone.remote.waitFor(l => l.msg === 'access' && l.bytesOut >= 100 * 1024 * 1024)
  t.ok(closed.ms > 0, 'the access log has the transfer with its byte counts')
})

t.test('the SN restarts: home is back and requests succeed again within 10 s, no gateway restart', async t => {
  const svc = await httpService(t)
  const zone = await relayZone(t, t.testdir(), svc.port)
  t.equal((await curlText(`http://${zone.entry.host}/before`)).code, 0, 'works before the restart')
  const homePid = zone.home.pid
  const remotePid = zone.remote.pid
  const mark = zone.home.lines.length
  await zone.sn.stop('SIGKILL')
  await zone.home.waitFor(l => l.msg === 'keep-tunnel lost' || l.msg === 'keep-tunnel dial failed', 15_000, mark)
  const started = performance.now()
  zone.sn = zone.startSn()
  await zone.sn.listening()
  await zone.home.waitFor(l => l.msg === 'keep-tunnel up' && l.peer === 'sn', 10_000, mark)
  let ok = false
  while (!ok && performance.now() - started < 10_000) {
    const r = await curlText(`http://${zone.entry.host}/after`, 5)
    ok = r.code === 0 && r.body.endsWith('/after')
  }
  const secs = (performance.now() - started) / 1000
  t.ok(ok, `requests succeed again ${secs.toFixed(2)} s after the SN came back`)
  t.equal(zone.home.pid, homePid, 'home gateway was not restarted')
  t.equal(zone.remote.pid, remotePid, 'remote gateway was not restarted')
  t.equal(zone.home.child.exitCode, null, 'home still running')
})
