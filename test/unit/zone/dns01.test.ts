// dns-01 through the SN: the solver publishes into the (fake) SN with the device token, and
// snWaitDns polls a real DNS server (dns2, UDP and TCP on loopback) serving the SN's TXT records.
import t from 'tap'
import { createServer, Packet } from 'dns2'
import { createServer as createNetServer } from 'node:net'
import { once } from 'node:events'
import { createSocket } from 'node:dgram'
import { snDns01Solver, snWaitDns } from '../../../src/zone/dns01.ts'
import { queryTxt } from '../../../src/zone/txt-query.ts'
import type { FakeSn, TestLike } from './fake-sn.ts'
import { startRegisteredZone } from './sn-fixture.ts'

/** A DNS server answering TXT queries from the fake SN's records (the real SN's DNS does the same from its registry). */
async function snDns (t: TestLike, sn: FakeSn, address = '127.0.0.1') {
  let queries = 0
  const server = createServer({
    udp: { type: address.includes(':') ? 'udp6' : 'udp4' },
    tcp: true,
    handle (request, send) {
      queries++
      const response = Packet.createResponseFromRequest(request)
      const [question] = request.questions
      const name = question.name.toLowerCase()
      for (const zone of sn.zones.values()) {
        for (const value of zone.txt.get(name) ?? []) {
          response.answers.push({ name: question.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 1, data: value } as never)
        }
      }
      void send(response)
    }
  })
  const addrs = await server.listen({ udp: { port: 0, address }, tcp: { port: 0, address } })
  t.teardown(() => server.close())
  return { udp: { host: address, port: addrs.udp!.port }, tcp: { host: address, port: addrs.tcp!.port }, queries: () => queries }
}

t.test('publish and remove go to the SN with the device token', async t => {
  const { sn, deviceClient: client, zone } = await startRegisteredZone(t, 'gw')
  const solver = snDns01Solver(client)
  const fqdn = `_acme-challenge.${zone}`
  await solver.publish(fqdn, 'token-a')
  await solver.publish(fqdn, 'token-b') // a wildcard order has two values at one name
  t.same(sn.zones.get(zone)?.txt.get(fqdn), ['token-a', 'token-b'])
  await solver.remove(fqdn, 'token-a')
  t.same(sn.zones.get(zone)?.txt.get(fqdn), ['token-b'])
  await t.rejects(solver.publish('_acme-challenge.bob.sn.test', 'x'), { code: 'ZONE_ERR_SN', snCode: 'SN_ERR_OUTSIDE_ZONE' })
})

for (const protocol of ['udp', 'tcp'] as const) {
  t.test(`waitDns over ${protocol} resolves once the SN serves the value`, async t => {
    const { sn, deviceClient: client, zone } = await startRegisteredZone(t, 'gw')
    const dns = await snDns(t, sn)
    const fqdn = `_acme-challenge.${zone}`
    const waitDns = snWaitDns(dns[protocol], { protocol, pollMs: 20, timeoutMs: 5000 })
    // Not published yet: the waiter keeps asking; publishing ends the wait.
    const waiting = waitDns(fqdn, 'late-value', AbortSignal.timeout(10_000))
    const before = dns.queries()
    while (dns.queries() < before + 2) await new Promise(resolve => setTimeout(resolve, 10))
    await snDns01Solver(client).publish(fqdn, 'late-value')
    await waiting
    t.pass('resolved after the value was published')
    t.same(await queryTxt(dns[protocol], fqdn.toUpperCase(), { protocol, timeoutMs: 1000 }), ['late-value'], 'names compare case-insensitively')
  })
}

t.test('waitDns gives up with ZONE_ERR_DNS_TIMEOUT and honours the abort signal', async t => {
  const { sn, zone } = await startRegisteredZone(t, 'gw')
  const dns = await snDns(t, sn)
  sn.zones.get(zone)!.txt.set(`_acme-challenge.${zone}`, ['other'])
  const waitDns = snWaitDns(dns.udp, { pollMs: 20, timeoutMs: 300 })
  await t.rejects(waitDns(`_acme-challenge.${zone}`, 'wanted', new AbortController().signal), { code: 'ZONE_ERR_DNS_TIMEOUT', message: /other values: "other"/ })
  const controller = new AbortController()
  const long = snWaitDns(dns.udp, { pollMs: 20, timeoutMs: 60_000 })(`_acme-challenge.${zone}`, 'wanted', controller.signal)
  controller.abort()
  await t.rejects(long, { name: 'AbortError' })
})

t.test('waitDns against a silent server times out per query and overall', async t => {
  // A UDP port that never answers: a dns2 server whose handler drops everything.
  const silent = createServer({ udp: true, handle () {} })
  const addrs = await silent.listen({ udp: { port: 0, address: '127.0.0.1' } })
  t.teardown(() => silent.close())
  const waitDns = snWaitDns({ host: '127.0.0.1', port: addrs.udp!.port }, { timeoutMs: 400, queryTimeoutMs: 100, pollMs: 10 })
  await t.rejects(waitDns('_acme-challenge.x.sn.test', 'v', new AbortController().signal), { code: 'ZONE_ERR_DNS_TIMEOUT', message: /timed out/ })

  // Over TCP: a server that accepts and never answers; each query's socket is cut at its deadline.
  const sockets = new Set<import('node:net').Socket>()
  const mute = createNetServer(socket => { sockets.add(socket); socket.resume(); socket.on('close', () => sockets.delete(socket)) })
  mute.listen(0, '127.0.0.1')
  await once(mute, 'listening')
  t.teardown(() => { for (const s of sockets) s.destroy(); mute.close() })
  const port = (mute.address() as import('node:net').AddressInfo).port
  const waitTcp = snWaitDns({ host: '127.0.0.1', port }, { protocol: 'tcp', timeoutMs: 400, queryTimeoutMs: 100, pollMs: 10 })
  await t.rejects(waitTcp('_acme-challenge.x.sn.test', 'v', new AbortController().signal), { code: 'ZONE_ERR_DNS_TIMEOUT', message: /timed out/ })
  const deadline = Date.now() + 2000
  while (sockets.size > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
  t.equal(sockets.size, 0, 'no query socket is left open')
})

// Skip (and say why) where the machine has no IPv6 loopback.
const noIpv6 = await new Promise<string | false>(resolve => {
  const probe = createSocket('udp6')
  probe.once('error', err => { probe.close(); resolve(`::1 is not available here: ${err.message}`) })
  probe.bind(0, '::1', () => { probe.close(); resolve(false) })
})

t.test('IPv6 loopback DNS server over UDP', { skip: noIpv6 }, async t => {
  const { sn, deviceClient: client, zone } = await startRegisteredZone(t, 'gw')
  const dns = await snDns(t, sn, '::1')
  await snDns01Solver(client).publish(`_acme-challenge.${zone}`, 'v6')
  await snWaitDns(dns.udp, { timeoutMs: 3000 })(`_acme-challenge.${zone}`, 'v6', new AbortController().signal)
  t.pass('served over udp6')
})
