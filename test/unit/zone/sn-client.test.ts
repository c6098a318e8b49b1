// The SN client against a real HTTPS server (a fake SN that checks every JWT with verifyJwt).
import t from 'tap'
import { createServer } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { createSnClient, zoneName, DEVICE_TOKEN_TTL_SECONDS } from '../../../src/zone/sn-client.ts'
import { ZONE_ERR_SN } from '../../../src/zone/errors.ts'
import { SN_DOMAIN } from './fake-sn.ts'
import { makeKey } from '../../helpers/keys.ts'
import { startSnFixture } from './sn-fixture.ts'
import { closedPort } from '../../helpers/free-port.ts'

t.test('zoneName checks the label', async t => {
  t.equal(zoneName('alice', 'SN.test.'), 'alice.sn.test')
  for (const bad of ['', '-a', 'a-', 'A', 'a.b', 'a_b', 'x'.repeat(64)]) {
    t.throws(() => zoneName(bad, 'sn.test'), { code: 'ZONE_ERR_INVALID' }, JSON.stringify(bad))
  }
})

t.test('owner calls: register, put devices, get zone; JWTs as the contract says', async t => {
  const { sn, owner, device, zone, ownerClient } = await startSnFixture(t)
  t.same(await ownerClient.registerZone(owner, 'invite-1', zone), { zone, owner: owner.did })
  const reg = sn.seen.find(r => r.path === '/v1/zones')
  t.equal(reg?.issuer, owner.did, 'the proof is signed by the owner')
  t.equal(reg?.claims?.zone, zone)
  t.equal(reg?.claims?.aud, SN_DOMAIN)

  const put = await ownerClient.putDevices(owner, zone, 1, [{ name: 'laptop', did: device.did }])
  t.same(put, { zone, version: 1, devices: [{ name: 'laptop', did: device.did }] })
  const doc = sn.seen.find(r => r.path.endsWith('/devices'))?.claims
  t.same([doc?.zone, doc?.version, doc?.devices], [zone, 1, [{ name: 'laptop', did: device.did }]])

  const facts = await ownerClient.getZone(zone)
  t.same(facts, { zone, devices: [{ name: 'laptop', did: device.did }], domains: [], active: true })

  // SN errors carry the SN's code and the HTTP status.
  await t.rejects(ownerClient.registerZone(owner, 'invite-1', zone), { code: 'ZONE_ERR_SN', snCode: 'SN_ERR_ZONE_TAKEN', status: 409 })
  await t.rejects(ownerClient.registerZone(owner, 'nope', 'bob.sn.test'), { code: 'ZONE_ERR_SN', snCode: 'SN_ERR_BAD_INVITE', status: 403 })
  await t.rejects(ownerClient.putDevices(owner, zone, 1, []), { code: 'ZONE_ERR_SN', snCode: 'SN_ERR_STALE_VERSION', status: 409 })
  await t.rejects(ownerClient.putDevices(makeKey(), zone, 2, []), { code: 'ZONE_ERR_SN', snCode: 'SN_ERR_BAD_TOKEN' }, 'another key is not the owner')
  const err = await ownerClient.getZone('nobody.sn.test').catch((e: unknown) => e)
  t.ok(err instanceof ZONE_ERR_SN && err.snCode === 'SN_ERR_NO_ZONE', 'instances of ZONE_ERR_SN')
})

t.test('device calls: report, TXT put and delete, with a fresh short device token each', async t => {
  const { sn, owner, device, zone, ownerClient, deviceClient } = await startSnFixture(t)
  await ownerClient.registerZone(owner, 'invite-1', zone)
  await ownerClient.putDevices(owner, zone, 1, [{ name: 'laptop', did: device.did }])

  const answer = await deviceClient.report({ addrs: ['192.0.2.7', '2001:db8::7'], direct: true })
  t.same(answer, { zone, device: 'laptop', observed: '127.0.0.1', records: { a: ['192.0.2.1'] } })
  t.same(sn.zones.get(zone)?.reports.get(device.did), { addrs: ['192.0.2.7', '2001:db8::7'], direct: true, observed: '127.0.0.1' })

  await deviceClient.putTxt(`_acme-challenge.${zone}`, 'v1')
  await deviceClient.putTxt(`_acme-challenge.${zone}`, 'v2')
  t.same(sn.zones.get(zone)?.txt.get(`_acme-challenge.${zone}`), ['v1', 'v2'])
  await deviceClient.deleteTxt(`_acme-challenge.${zone}`, 'v1')
  t.same(sn.zones.get(zone)?.txt.get(`_acme-challenge.${zone}`), ['v2'])
  await t.rejects(deviceClient.putTxt('_acme-challenge.bob.sn.test', 'x'), { code: 'ZONE_ERR_SN', snCode: 'SN_ERR_OUTSIDE_ZONE', status: 403 })

  const tokens = sn.seen.filter(r => r.issuer === device.did)
  t.equal(tokens.length, 5)
  for (const r of tokens) {
    t.equal(r.claims?.zone, zone)
    t.equal(r.claims?.aud, SN_DOMAIN)
    t.equal((r.claims?.exp as number) - (r.claims?.iat as number), DEVICE_TOKEN_TTL_SECONDS)
  }
  t.equal(new Set(tokens.map(r => r.claims?.jti)).size, tokens.length, 'every call has its own token')

  // A device no longer listed is refused by the SN.
  await ownerClient.putDevices(owner, zone, 2, [])
  await t.rejects(deviceClient.report({ addrs: [], direct: false }), { code: 'ZONE_ERR_SN', snCode: 'SN_ERR_NOT_A_DEVICE' })
})

t.test('device calls need a device key and a zone', async t => {
  const { ownerClient } = await startSnFixture(t)
  await t.rejects(ownerClient.report({ addrs: [], direct: false }), { code: 'ZONE_ERR_NO_DEVICE' })
  await t.rejects(ownerClient.putTxt('a', 'b'), { code: 'ZONE_ERR_NO_DEVICE' })
})

t.test('custom domains: bind, then verify (409 is "not yet", not an error)', async t => {
  const { owner, zone, ownerClient } = await startSnFixture(t)
  await ownerClient.registerZone(owner, 'invite-1', zone)
  t.same(await ownerClient.bindDomain(owner, zone, 'pending.example'), { domain: 'pending.example', txtName: '_zonegate-challenge.pending.example', txtValue: 'v-15' })
  t.same(await ownerClient.verifyDomain(owner, zone, 'pending.example'), { domain: 'pending.example', bound: false, message: 'TXT record not found yet' })
  t.same(await ownerClient.verifyDomain(owner, zone, 'verified.example'), { domain: 'verified.example', bound: true })
  t.same((await ownerClient.getZone(zone)).domains, ['verified.example'])
})

t.test('TLS: the CA is per client; without it the self-signed SN is refused', async t => {
  const { sn, connectTo } = await startSnFixture(t)
  const untrusting = createSnClient({ url: sn.url, audience: SN_DOMAIN, connectTo })
  t.teardown(() => untrusting.close())
  await t.rejects(untrusting.getZone('alice.sn.test'), { code: 'ZONE_ERR_UNREACHABLE' })
  // The certificate names sn.test and 127.0.0.1: dialling by IP works too (no SNI then).
  const byIp = createSnClient({ url: `https://127.0.0.1:${sn.port}`, audience: SN_DOMAIN, ca: sn.ca })
  t.teardown(() => byIp.close())
  await t.rejects(byIp.getZone('alice.sn.test'), { code: 'ZONE_ERR_SN', snCode: 'SN_ERR_NO_ZONE' })
  // A name the certificate does not cover is refused even with the CA.
  const wrongName = createSnClient({ url: `https://other.test:${sn.port}`, audience: SN_DOMAIN, ca: sn.ca, connectTo })
  t.teardown(() => wrongName.close())
  await t.rejects(wrongName.getZone('alice.sn.test'), { code: 'ZONE_ERR_UNREACHABLE' })
})

t.test('unreachable, timeout, oversized and non-JSON answers are coded errors', async t => {
  const { sn, connectTo } = await startSnFixture(t)
  sn.hang('/v1/zones/slow.sn.test')
  const quick = createSnClient({ url: sn.url, audience: SN_DOMAIN, ca: sn.ca, connectTo, timeoutMs: 200 })
  t.teardown(() => quick.close())
  await t.rejects(quick.getZone('slow.sn.test'), { code: 'ZONE_ERR_TIMEOUT' })

  // A closed port.
  const nobody = createSnClient({ url: `http://127.0.0.1:${await closedPort()}`, audience: SN_DOMAIN })
  await t.rejects(nobody.getZone('a.sn.test'), { code: 'ZONE_ERR_UNREACHABLE', message: /ECONNREFUSED/ })

  // Plain HTTP servers with bad answers.
  const odd = createServer((req, res) => {
    if (req.url === '/v1/zones/big.sn.test') {
      res.writeHead(200, { 'content-type': 'application/json' })
      const chunk = Buffer.alloc(64 * 1024, 0x20)
      let sent = 0
      const more = (): void => { while (sent < 40 && res.write(chunk)) sent++; if (sent < 40) res.once('drain', more); else res.end() }
      more()
    } else if (req.url === '/v1/zones/html.sn.test') {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>\u001b[31mbad gateway</html>')
    } else if (req.url === '/v1/zones/cut.sn.test') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
      res.write('{"zone":', () => res.socket?.destroy())
    } else if (req.url === '/v1/zones/array.sn.test') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('[1,2]')
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"zone": 5, "devices": [], "active": true}')
    }
  })
  odd.listen(0, '127.0.0.1')
  await once(odd, 'listening')
  t.teardown(() => { odd.closeAllConnections(); odd.close() })
  const oddClient = createSnClient({ url: `http://127.0.0.1:${(odd.address() as AddressInfo).port}`, audience: SN_DOMAIN })
  await t.rejects(oddClient.getZone('big.sn.test'), { code: 'ZONE_ERR_BAD_RESPONSE', message: /larger than/ })
  await t.rejects(oddClient.getZone('html.sn.test'), { code: 'ZONE_ERR_SN', snCode: 'HTTP_502', status: 502, snMessage: '<html> [31mbad gateway</html>' })
  await t.rejects(oddClient.getZone('cut.sn.test'), { code: 'ZONE_ERR_UNREACHABLE' })
  await t.rejects(oddClient.getZone('array.sn.test'), { code: 'ZONE_ERR_BAD_RESPONSE' })
  await t.rejects(oddClient.getZone('shape.sn.test'), { code: 'ZONE_ERR_BAD_RESPONSE', message: /zone is not a string/ })
})
