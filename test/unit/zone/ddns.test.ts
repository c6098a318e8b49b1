// The DDNS reporter against the fake SN over HTTPS: at once, then every interval; backs off on
// failure (capped at the interval); logs only when the SN's answer changes; stops.
import t from 'tap'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { pino } from 'pino'
import { createSnClient, type DdnsAnswer } from '../../../src/zone/sn-client.ts'
import { startDdnsReporter, type DdnsReporter } from '../../../src/zone/ddns.ts'
import { SN_DOMAIN } from './fake-sn.ts'
import { makeKey } from '../../helpers/keys.ts'
import { startRegisteredZone } from './sn-fixture.ts'

function capturedLogger () {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb() } })
  return { logger: pino({ level: 'debug' }, stream), lines }
}

/** Resolve with the `count` next events of one kind, or fail after `ms`. */
function next (reporter: DdnsReporter, event: 'report' | 'failure', count = 1, ms = 5000): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    const got: unknown[][] = []
    const timer = setTimeout(() => { reporter.off(event, fn); reject(new Error(`only ${got.length} of ${count} ${event} events within ${ms} ms`)) }, ms)
    function fn (...args: unknown[]): void {
      got.push(args)
      if (got.length < count) return
      clearTimeout(timer)
      reporter.off(event, fn)
      resolve(got)
    }
    reporter.on(event as 'report', fn)
  })
}

t.test('reports at once and then every interval; logs only changes', async t => {
  const { sn, deviceClient: client, zone, device } = await startRegisteredZone(t, 'laptop')
  const { logger, lines } = capturedLogger()
  let addrs = ['192.0.2.10']
  const reporter = startDdnsReporter({ client, intervalMs: 30, direct: true, addrs: () => addrs, logger })
  t.teardown(() => reporter.stop())
  const [[first]] = await next(reporter, 'report')
  t.equal((first as DdnsAnswer).device, 'laptop')
  t.same(sn.zones.get(zone)?.reports.get(device.did), { addrs: ['192.0.2.10'], direct: true, observed: '127.0.0.1' })
  t.equal(reporter.last?.zone, zone)

  addrs = ['192.0.2.11']
  await next(reporter, 'report', 3)
  t.same(sn.zones.get(zone)?.reports.get(device.did)?.addrs, ['192.0.2.11'], 'each report asks for the current addresses')
  t.equal(lines.filter(l => l.msg === 'ddns records changed').length, 1, 'the same answer is logged once')

  sn.records = { a: ['192.0.2.99'] }
  await next(reporter, 'report', 2)
  const changes = lines.filter(l => l.msg === 'ddns records changed')
  t.equal(changes.length, 2, 'a changed answer is logged')
  t.same(changes[1].records, { a: ['192.0.2.99'] })
  t.equal(changes[1].mod, 'zone.ddns')
})

t.test('failures back off exponentially, capped at the interval, then recover', async t => {
  const { sn, deviceClient: client } = await startRegisteredZone(t, 'laptop')
  const { logger, lines } = capturedLogger()
  sn.failNext('/v1/ddns', 5, 503, 'SN_ERR_BUSY')
  const reporter = startDdnsReporter({ client, intervalMs: 80, retryMinMs: 10, direct: false, addrs: () => [], logger })
  t.teardown(() => reporter.stop())
  const recovered = next(reporter, 'report')
  const failures = await next(reporter, 'failure', 5)
  t.same(failures.map(f => (f[0] as { code: 'ZONE_ERR_SN', snCode: string }).snCode), Array(5).fill('SN_ERR_BUSY'))
  t.same(failures.map(f => f[1]), [10, 20, 40, 80, 80])
  await recovered
  t.equal(lines.filter(l => l.msg === 'ddns report failed').length, 1, 'one warning per failure streak')
  t.equal(lines.filter(l => l.msg === 'ddns report accepted again').length, 1)
  // After recovery the backoff starts over.
  sn.failNext('/v1/ddns', 1, 500, 'SN_ERR_INTERNAL')
  const [[, retry]] = await next(reporter, 'failure')
  t.equal(retry, 10)
})

t.test('an unreachable SN and a throwing addrs() are failures too', async t => {
  const { deviceClient: client } = await startRegisteredZone(t, 'laptop')
  const { logger } = capturedLogger()
  let calls = 0
  const reporter = startDdnsReporter({ client, intervalMs: 50, retryMinMs: 5, direct: () => true, addrs: () => { if (calls++ === 0) throw new Error('no interfaces'); return ['192.0.2.1'] }, logger })
  t.teardown(() => reporter.stop())
  const [[err]] = await next(reporter, 'failure')
  t.match((err as Error).message, /no interfaces/)
  await next(reporter, 'report')

  const nowhere = createSnClient({ url: 'http://127.0.0.1:1', audience: SN_DOMAIN, device: makeKey(), zone: 'x.sn.test' })
  const lost = startDdnsReporter({ client: nowhere, intervalMs: 50, retryMinMs: 5, direct: true, addrs: () => [], logger })
  t.teardown(() => lost.stop())
  const [[e2]] = await next(lost, 'failure')
  t.equal((e2 as { code: string }).code, 'ZONE_ERR_UNREACHABLE')
})

t.test('stop() ends the reports', async t => {
  const { sn, deviceClient: client } = await startRegisteredZone(t, 'laptop')
  const reporter = startDdnsReporter({ client, intervalMs: 20, direct: true, addrs: () => [], logger: pino({ level: 'silent' }) })
  await next(reporter, 'report', 2)
  reporter.stop()
  const count = sn.seen.filter(r => r.path === '/v1/ddns').length
  // Absence can only be observed over time: several intervals pass without a request.
  await sleep(150)
  t.equal(sn.seen.filter(r => r.path === '/v1/ddns').length, count)
})
