import t from 'tap'
import { startApi, registerZone } from './fixtures.ts'
import { DOMAIN, deviceListDoc, deviceToken, makeKey, zoneProof } from '../registry/helpers.ts'
import { signJwt } from '../../../../src/identity/jwt.ts'

function addrs (records: readonly { type: string, address?: string }[] | undefined): string[] {
  return (records ?? []).flatMap(r => r.address !== undefined ? [r.address] : [])
}

t.test('registration: invite good, bad, closed, used up; registration closed; zone taken', async t => {
  const api = await startApi(t, { limits: { registrationsPerMinute: 100 } })
  const owner = makeKey()
  const { code } = api.registry.createInvite({ uses: 1 })
  const ok = await api.call('POST', '/v1/zones', { body: { invite: code, proof: await zoneProof(owner, 'alice.sn.test') } })
  t.equal(ok.status, 201)
  t.same(ok.body, { zone: 'alice.sn.test', owner: owner.did })
  const usedUp = await api.call('POST', '/v1/zones', { body: { invite: code, proof: await zoneProof(owner, 'bob.sn.test') } })
  t.same([usedUp.status, usedUp.body.error.code], [403, 'SN_ERR_INVITE_INVALID'])
  const bad = await api.call('POST', '/v1/zones', { body: { invite: 'nope', proof: await zoneProof(owner, 'bob.sn.test') } })
  t.same([bad.status, bad.body.error.code], [403, 'SN_ERR_INVITE_INVALID'])
  const closed = api.registry.createInvite()
  api.registry.closeInvite(closed.code)
  const c = await api.call('POST', '/v1/zones', { body: { invite: closed.code, proof: await zoneProof(owner, 'bob.sn.test') } })
  t.same([c.status, c.body.error.code], [403, 'SN_ERR_INVITE_INVALID'])
  const fresh = api.registry.createInvite({ uses: 5 })
  api.registry.setRegistrationOpen(false)
  const shut = await api.call('POST', '/v1/zones', { body: { invite: fresh.code, proof: await zoneProof(owner, 'bob.sn.test') } })
  t.same([shut.status, shut.body.error.code], [403, 'SN_ERR_REGISTRATION_CLOSED'])
  api.registry.setRegistrationOpen(true)
  const taken = await api.call('POST', '/v1/zones', { body: { invite: fresh.code, proof: await zoneProof(makeKey(), 'alice.sn.test') } })
  t.same([taken.status, taken.body.error.code], [409, 'SN_ERR_ZONE_TAKEN'])
  const noProof = await api.call('POST', '/v1/zones', { body: { invite: fresh.code } })
  t.same([noProof.status, noProof.body.error.code], [400, 'SN_ERR_BAD_REQUEST'])
})

t.test('device lists: rollback refused; public facts', async t => {
  const api = await startApi(t)
  const { zone, owner, laptop, phone } = await registerZone(api, 'alice')
  const old = await api.call('PUT', `/v1/zones/${zone}/devices`, { body: { doc: await deviceListDoc(owner, zone, 1, []) } })
  t.same([old.status, old.body.error.code], [409, 'SN_ERR_VERSION_STALE'])
  const v2 = await api.call('PUT', `/v1/zones/${zone}/devices`, { body: { doc: await deviceListDoc(owner, zone, 2, [{ name: 'laptop', did: laptop.did }]) } })
  t.same([v2.status, v2.body.version], [200, 2])
  const mallory = makeKey()
  const forged = await api.call('PUT', `/v1/zones/${zone}/devices`, { body: { doc: await deviceListDoc(mallory, zone, 3, [{ name: 'x', did: mallory.did }]) } })
  t.same([forged.status, forged.body.error.code], [403, 'SN_ERR_NOT_OWNER'])
  const info = await api.call('GET', `/v1/zones/${zone.toUpperCase()}`)
  t.same(info.body, { zone, devices: [{ name: 'laptop', did: laptop.did }], domains: [], active: true })
  t.equal(api.registry.isAdmitted(phone.did), false)
  const unknown = await api.call('GET', '/v1/zones/nobody.sn.test')
  t.same([unknown.status, unknown.body.error.code], [404, 'SN_ERR_ZONE_UNKNOWN'])
})

t.test('ddns changes what the DnsAuthority answers', async t => {
  const api = await startApi(t)
  const { zone, laptop } = await registerZone(api, 'alice')
  t.same(addrs(api.dns.records(zone) as any), ['198.51.100.1'], 'relay before any report')
  const res = await api.call('POST', '/v1/ddns', { token: await deviceToken(laptop, zone), client: '::ffff:203.0.113.7', body: { addrs: ['192.0.2.10'], direct: true } })
  t.equal(res.status, 200)
  t.same(res.body, {
    zone, device: 'laptop', observed: '203.0.113.7',
    records: { [zone]: ['192.0.2.10'], [`*.${zone}`]: ['192.0.2.10'], [`laptop.${zone}`]: ['192.0.2.10'] }
  })
  t.same(addrs(api.dns.records(zone) as any), ['192.0.2.10'])
  t.same(addrs(api.dns.records(`laptop.${zone}`) as any), ['192.0.2.10'])
  const behind = await api.call('POST', '/v1/ddns', { token: await deviceToken(laptop, zone), client: '203.0.113.8', body: { addrs: [], direct: false } })
  t.equal(behind.body.observed, '203.0.113.8')
  t.same(addrs(api.dns.records(zone) as any), ['198.51.100.1'], 'back to the relay')
  t.same(addrs(api.dns.records(`laptop.${zone}`) as any), ['203.0.113.8'], 'the device name falls back to the observed address')
  const bad = await api.call('POST', '/v1/ddns', { token: await deviceToken(laptop, zone), body: { addrs: ['300.1.1.1'], direct: true } })
  t.same([bad.status, bad.body.error.code], [400, 'SN_ERR_BAD_REQUEST'])
})

t.test('device tokens: missing, expired, too long, replayed, wrong zone claim, unknown device', async t => {
  const api = await startApi(t)
  const { zone, laptop } = await registerZone(api, 'alice')
  const body = { addrs: [], direct: false }
  const none = await api.call('POST', '/v1/ddns', { body })
  t.same([none.status, none.body.error.code], [401, 'SN_ERR_TOKEN_MISSING'])
  const expired = await deviceToken(laptop, zone, { ttlSeconds: 60, now: () => Date.now() - 10 * 60_000 })
  const e = await api.call('POST', '/v1/ddns', { token: expired, body })
  t.same([e.status, e.body.error.code], [401, 'SN_ERR_TOKEN_INVALID'])
  t.match(e.body.error.message, /ID_ERR_TOKEN_EXPIRED/)
  const long = await api.call('POST', '/v1/ddns', { token: await deviceToken(laptop, zone, { ttlSeconds: 3600 }), body })
  t.same([long.status, long.body.error.code], [401, 'SN_ERR_TOKEN_INVALID'])
  t.match(long.body.error.message, /ID_ERR_TOKEN_TOO_LONG/)
  const token = await deviceToken(laptop, zone)
  t.equal((await api.call('POST', '/v1/ddns', { token, body })).status, 200)
  const again = await api.call('POST', '/v1/ddns', { token, body })
  t.same([again.status, again.body.error.code], [401, 'SN_ERR_TOKEN_REPLAYED'])
  const otherZone = await api.call('POST', '/v1/ddns', { token: await deviceToken(laptop, 'bob.sn.test'), body })
  t.same([otherZone.status, otherZone.body.error.code], [403, 'SN_ERR_ZONE_MISMATCH'])
  // A zone claim that JSON makes into an object String() cannot render: still a coded 403.
  const trap = await signJwt(laptop, { zone: { toString: {} } }, { audience: DOMAIN, ttlSeconds: 60 })
  const trapped = await api.call('POST', '/v1/ddns', { token: trap, body })
  t.same([trapped.status, trapped.body.error.code], [403, 'SN_ERR_ZONE_MISMATCH'])
  t.match(trapped.body.error.message, /\{"toString":\{\}\}/, 'the message shows the claim as JSON')
  const stranger = await api.call('POST', '/v1/ddns', { token: await deviceToken(makeKey(), zone), body })
  t.same([stranger.status, stranger.body.error.code], [401, 'SN_ERR_TOKEN_INVALID'])
  const garbage = await api.call('POST', '/v1/ddns', { headers: { authorization: 'Basic abc' }, body })
  t.same([garbage.status, garbage.body.error.code], [401, 'SN_ERR_TOKEN_INVALID'])
})

t.test('TXT: inside the zone only; cross-zone refused; SN names never writable', async t => {
  const api = await startApi(t)
  const alice = await registerZone(api, 'alice')
  const bob = await registerZone(api, 'bob')
  const put = async (zone: string, name: string, value = 'v'): Promise<{ status: number, body: any }> =>
    await api.call('PUT', `/v1/zones/${zone}/txt`, { token: await deviceToken(alice.laptop, alice.zone), body: { name, value } })
  const ok = await put(alice.zone, `_acme-challenge.${alice.zone}`, 'abc')
  t.same([ok.status, ok.body], [200, { zone: alice.zone, name: `_acme-challenge.${alice.zone}`, value: 'abc' }])
  t.same(api.dns.records(`_acme-challenge.${alice.zone}`), [{ type: 'TXT', data: ['abc'], ttl: 60 }])
  const cross = await put(bob.zone, `_acme-challenge.${bob.zone}`)
  t.same([cross.status, cross.body.error.code], [403, 'SN_ERR_ZONE_MISMATCH'], 'a device of alice cannot touch bob')
  const outside = await put(alice.zone, `_acme-challenge.${bob.zone}`)
  t.same([outside.status, outside.body.error.code], [403, 'SN_ERR_NAME_OUTSIDE_ZONE'])
  for (const own of ['sn.test', 'ns1.sn.test', '_acme-challenge.sn.test']) {
    const r = await put(alice.zone, own)
    t.same([r.status, r.body.error.code], [403, 'SN_ERR_NAME_OUTSIDE_ZONE'], own)
  }
  t.equal(api.dns.records(`_acme-challenge.${bob.zone}`), undefined)
  const del = await api.call('DELETE', `/v1/zones/${alice.zone}/txt`, { token: await deviceToken(alice.phone, alice.zone), body: { name: `_acme-challenge.${alice.zone}`, value: 'abc' } })
  t.same([del.status, del.body.removed], [200, true])
  t.equal(api.dns.records(`_acme-challenge.${alice.zone}`), undefined)
})

t.test('the denylist blocks admission and the API', async t => {
  const api = await startApi(t)
  const { zone, laptop, owner } = await registerZone(api, 'alice')
  api.registry.deny('device', laptop.did)
  t.equal(api.registry.isAdmitted(laptop.did), false)
  const d = await api.call('POST', '/v1/ddns', { token: await deviceToken(laptop, zone), body: { addrs: [], direct: false } })
  t.same([d.status, d.body.error.code], [403, 'SN_ERR_DENIED'])
  api.registry.allow('device', laptop.did)
  api.registry.deny('zone', zone)
  const z = await api.call('PUT', `/v1/zones/${zone}/txt`, { token: await deviceToken(laptop, zone), body: { name: zone, value: 'x' } })
  t.same([z.status, z.body.error.code], [403, 'SN_ERR_DENIED'])
  const o = await api.call('PUT', `/v1/zones/${zone}/devices`, { body: { doc: await deviceListDoc(owner, zone, 7, []) } })
  t.same([o.status, o.body.error.code], [403, 'SN_ERR_DENIED'])
  t.equal((await api.call('GET', `/v1/zones/${zone}`)).body.active, false)
  api.registry.allow('zone', zone)
  t.equal((await api.call('POST', '/v1/ddns', { token: await deviceToken(laptop, zone), body: { addrs: [], direct: false } })).status, 200)
})

t.test('rate limits answer 429 with retry-after', async t => {
  const api = await startApi(t, { limits: { registrationsPerMinute: 2, recordChangesPerMinute: 3 } })
  const owner = makeKey()
  const statuses: number[] = []
  for (let i = 0; i < 3; i++) {
    const r = await api.call('POST', '/v1/zones', { client: '192.0.2.50', body: { invite: 'x', proof: await zoneProof(owner, `z${i}.sn.test`) } })
    statuses.push(r.status)
    if (r.status === 429) {
      t.equal(r.body.error.code, 'SN_ERR_RATE_LIMITED')
      t.ok(Number(r.headers.get('retry-after')) >= 1, 'retry-after in seconds')
    }
  }
  t.same(statuses, [403, 403, 429], 'per client address, counted before any other check')
  t.equal((await api.call('POST', '/v1/zones', { client: '192.0.2.51', body: {} })).status, 403, 'another address has its own bucket')

  const { zone, laptop, phone } = await registerZone(api, 'alice')
  const codes: number[] = []
  for (let i = 0; i < 4; i++) {
    const who = i % 2 === 0 ? laptop : phone
    codes.push((await api.call('PUT', `/v1/zones/${zone}/txt`, { token: await deviceToken(who, zone), body: { name: zone, value: `v${i}` } })).status)
  }
  t.same(codes, [200, 200, 200, 429], 'per zone, whichever device asks')
})

t.test('routing and body errors: 404, 405, 400 bad JSON, 413, http-01 answers', async t => {
  const api = await startApi(t)
  const nf = await api.call('GET', '/v2/nothing')
  t.same([nf.status, nf.body.error.code], [404, 'SN_ERR_NOT_FOUND'])
  const ma = await api.call('DELETE', '/v1/zones')
  t.same([ma.status, ma.body.error.code, ma.headers.get('allow')], [405, 'SN_ERR_METHOD_NOT_ALLOWED', 'POST'])
  const bj = await api.call('POST', '/v1/zones', { raw: '{"invite": ' })
  t.same([bj.status, bj.body.error.code], [400, 'SN_ERR_BAD_JSON'])
  const arr = await api.call('POST', '/v1/zones', { raw: '[1,2]' })
  t.same([arr.status, arr.body.error.code], [400, 'SN_ERR_BAD_REQUEST'])
  const big = await api.call('POST', '/v1/zones', { raw: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }) })
  t.same([big.status, big.body.error.code], [413, 'SN_ERR_BODY_TOO_LARGE'])
  const pct = await api.call('GET', '/v1/zones/%E0%A4%A')
  t.same([pct.status, pct.body.error.code], [400, 'SN_ERR_BAD_REQUEST'])

  api.registry.setHttpChallenge('Tok_en-1', 'Tok_en-1.thumbprint')
  const ch = await api.call('GET', '/.well-known/acme-challenge/Tok_en-1')
  t.same([ch.status, ch.body, ch.headers.get('content-type')], [200, 'Tok_en-1.thumbprint', 'text/plain'])
  api.registry.removeHttpChallenge('Tok_en-1')
  t.equal((await api.call('GET', '/.well-known/acme-challenge/Tok_en-1')).status, 404)
})

t.test('a body that streams past the limit is cut off', async t => {
  const api = await startApi(t, { maxBodyBytes: 1024 })
  const { request } = await import('node:http')
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${api.url}/v1/zones`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    // Keep writing until the server answers; it must not wait for (or buffer) the rest.
    const chunk = Buffer.alloc(512, 0x20)
    let sent = 0
    const pump = (): void => {
      while (sent < 64 && req.write(chunk)) sent++
      if (sent < 64) req.once('drain', pump)
    }
    pump()
  })
  t.equal(status, 413)
})

t.test('DNS answers stay consistent with the registry name for the API audience', async t => {
  const api = await startApi(t)
  const owner = makeKey()
  const { signJwt } = await import('../../../../src/identity/jwt.ts')
  const wrongAud = await signJwt(owner, { zone: 'alice.sn.test' }, { audience: 'evil.test', ttlSeconds: 60 })
  const r = await api.call('POST', '/v1/zones', { body: { invite: api.registry.createInvite().code, proof: wrongAud } })
  t.same([r.status, r.body.error.code], [401, 'SN_ERR_TOKEN_INVALID'])
  t.equal(api.registry.domain, DOMAIN)
})
