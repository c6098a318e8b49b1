// Custom domains end to end: claim, verify against a real DNS server (dns2 on loopback) holding
// the challenge TXT, then the domain is an apex the SN serves and a name zoneOf resolves.
import t from 'tap'
import dns2 from 'dns2'
import type { AddressInfo } from 'node:net'
import { startApi, registerZone } from './fixtures.ts'
import { deviceToken, makeKey, ownerDoc } from '../registry/helpers.ts'

const { Packet } = dns2

/** A tiny authoritative server answering TXT from `records`; answers NXDOMAIN otherwise. */
async function txtServer (t: { teardown (fn: () => unknown): void }, records: Map<string, string[]>): Promise<number> {
  const server = dns2.createServer({
    udp: true,
    handle: (request: any, send: any) => {
      const response = Packet.createResponseFromRequest(request)
      const [q] = request.questions
      const values = records.get(String(q?.name).toLowerCase())
      if (values === undefined) response.header.rcode = 3
      else for (const v of values) response.answers.push({ name: q.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 1, data: [v] } as any)
      send(response)
    }
  })
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } }) as { udp: AddressInfo }
  t.teardown(() => server.close())
  return addresses.udp.port
}

function resolverFor (port: number): (name: string) => Promise<string[][]> {
  const query = dns2.UDPClient({ dns: '127.0.0.1', port, timeout: 2000 })
  return async (name) => {
    const res = await query(name, 'TXT')
    return res.answers.filter((a: any) => a.type === Packet.TYPE.TXT).map((a: any) => a.data as string[])
  }
}

t.test('claim, verify through DNS, then serve the domain', async t => {
  const records = new Map<string, string[]>()
  const port = await txtServer(t, records)
  const api = await startApi(t, { resolveTxt: resolverFor(port) })
  const { zone, owner, laptop } = await registerZone(api, 'alice')
  const doc = async (domain: string): Promise<string> => await ownerDoc(owner, { zone, domain })

  const claim = await api.call('POST', `/v1/zones/${zone}/domains`, { body: { doc: await doc('Example.com') } })
  t.equal(claim.status, 202)
  t.equal(claim.body.domain, 'example.com')
  t.equal(claim.body.txt_name, '_zonegate-challenge.example.com')
  t.match(claim.body.txt_value, /^[A-Za-z0-9_-]{32}$/)
  const again = await api.call('POST', `/v1/zones/${zone}/domains`, { body: { doc: await doc('example.com') } })
  t.equal(again.body.txt_value, claim.body.txt_value, 'claiming twice keeps the challenge')

  const early = await api.call('POST', `/v1/zones/${zone}/domains/example.com/verify`, { body: { doc: await doc('example.com') } })
  t.same([early.status, early.body.error.code], [409, 'SN_ERR_DOMAIN_NOT_VERIFIED'], 'NXDOMAIN: not yet')
  records.set('_zonegate-challenge.example.com', ['something-else'])
  const wrong = await api.call('POST', `/v1/zones/${zone}/domains/example.com/verify`, { body: { doc: await doc('example.com') } })
  t.same([wrong.status, wrong.body.error.code], [409, 'SN_ERR_DOMAIN_NOT_VERIFIED'], 'wrong value: not yet')
  t.same(api.dns.apexes(), ['sn.test'])

  records.set('_zonegate-challenge.example.com', ['something-else', claim.body.txt_value])
  const mallory = makeKey()
  const forged = await api.call('POST', `/v1/zones/${zone}/domains/example.com/verify`, { body: { doc: await ownerDoc(mallory, { zone, domain: 'example.com' }) } })
  t.same([forged.status, forged.body.error.code], [403, 'SN_ERR_NOT_OWNER'])
  const mismatch = await api.call('POST', `/v1/zones/${zone}/domains/example.com/verify`, { body: { doc: await doc('example.org') } })
  t.same([mismatch.status, mismatch.body.error.code], [400, 'SN_ERR_BAD_REQUEST'])
  const ok = await api.call('POST', `/v1/zones/${zone}/domains/example.com/verify`, { body: { doc: await doc('example.com') } })
  t.same([ok.status, ok.body], [200, { zone, domain: 'example.com', verified: true }])

  t.same(api.dns.apexes(), ['sn.test', 'example.com'])
  t.equal(api.registry.zoneOf('shop.example.com')?.zone, zone)
  t.same((await api.call('GET', `/v1/zones/${zone}`)).body.domains, ['example.com'])
  // The zone may now publish ACME TXT records under its bound domain.
  const txt = await api.call('PUT', `/v1/zones/${zone}/txt`, { token: await deviceToken(laptop, zone), body: { name: '_acme-challenge.example.com', value: 'k' } })
  t.equal(txt.status, 200)
  t.same(api.dns.records('_acme-challenge.example.com'), [{ type: 'TXT', data: ['k'], ttl: 60 }])

  const bob = await registerZone(api, 'bob')
  const steal = await api.call('POST', `/v1/zones/${bob.zone}/domains`, { body: { doc: await ownerDoc(bob.owner, { zone: bob.zone, domain: 'www.example.com' }) } })
  t.same([steal.status, steal.body.error.code], [403, 'SN_ERR_DOMAIN_FORBIDDEN'])
  const unclaimed = await api.call('POST', `/v1/zones/${bob.zone}/domains/other.org/verify`, { body: { doc: await ownerDoc(bob.owner, { zone: bob.zone, domain: 'other.org' }) } })
  t.same([unclaimed.status, unclaimed.body.error.code], [404, 'SN_ERR_DOMAIN_UNKNOWN'])
  const own = await api.call('POST', `/v1/zones/${bob.zone}/domains`, { body: { doc: await ownerDoc(bob.owner, { zone: bob.zone, domain: 'alice.sn.test' }) } })
  t.same([own.status, own.body.error.code], [403, 'SN_ERR_DOMAIN_FORBIDDEN'])
})
