// Keep-tunnel liveness: a peer that stops answering without closing its TCP connection (a frozen
// process, a dead NAT mapping) is detected by the ping timeout, and the tunnel comes back when the
// peer does.
import t from 'tap'
import { relayZone, httpService, curlText } from './harness/zone.ts'

t.test('with the default keep-alive, a frozen SN is detected by ping within 15 s, and the tunnel comes back', async t => {
  const svc = await httpService(t)
  const zone = await relayZone(t, t.testdir(), svc.port, { homeKeepalive: null })
  t.equal((await curlText(`http://${zone.entry.host}/before`)).code, 0, 'works before')
  const mark = zone.home.lines.length
  const frozenAt = performance.now()
  process.kill(zone.sn.pid, 'SIGSTOP') // TCP stays open; only the pings go unanswered
  t.teardown(() => { try { process.kill(zone.sn.pid, 'SIGCONT') } catch {} })
  const lost = await zone.home.waitFor(l => l.msg === 'keep-tunnel lost', 20_000, mark)
  const secs = (performance.now() - frozenAt) / 1000
  t.match(lost.reason, /ping failed/, 'noticed by the keep-alive ping, not by TCP')
  t.ok(secs <= 15, `dead peer detected after ${secs.toFixed(1)} s (default keepalive: 5 s interval, 5 s timeout; limit 15 s)`)
  process.kill(zone.sn.pid, 'SIGCONT')
  await zone.home.waitFor(l => l.msg === 'keep-tunnel up' && l.peer === 'sn', 15_000, mark)
  let ok = false
  const started = performance.now()
  while (!ok && performance.now() - started < 15_000) ok = (await curlText(`http://${zone.entry.host}/after`, 5)).code === 0
  t.ok(ok, 'requests succeed again after the SN thaws')
})
