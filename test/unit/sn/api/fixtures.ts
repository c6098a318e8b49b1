// An SN API on 127.0.0.1:0 over a fresh in-memory registry, with a DnsAuthority to observe.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { openSnRegistry, type SnRegistry } from '../../../../src/sn/registry/registry.ts'
import { createSnApi, type SnApiInit } from '../../../../src/sn/api/handler.ts'
import { snAuthority } from '../../../../src/sn/records.ts'
import type { DnsAuthority } from '../../../../src/sn/dns/types.ts'
import { DOMAIN, deviceListDoc, makeKey, zoneProof, type TestKey } from '../registry/helpers.ts'

export interface TestLike { teardown (fn: () => unknown): void }

export interface Api {
  registry: SnRegistry
  dns: DnsAuthority
  url: string
  /** JSON request; `client` sets the address the API sees (x-test-client). */
  call (method: string, path: string, options?: { body?: unknown, raw?: string, token?: string, client?: string, headers?: Record<string, string> }): Promise<{ status: number, body: any, headers: Headers }>
}

export async function startApi (t: TestLike, init: Partial<SnApiInit> = {}, registryInit: Record<string, unknown> = {}): Promise<Api> {
  const registry = openSnRegistry({ file: ':memory:', domain: DOMAIN, expireEveryMs: 0, ...registryInit })
  const dns = snAuthority(registry, {
    domain: DOMAIN, ns: ['ns1.sn.test'], ownNames: { 'sn.test': ['127.0.0.1'], 'ns1.sn.test': ['127.0.0.1'] },
    relayAddrs: ['198.51.100.1'], ttl: 60, soa: { admin: 'hostmaster.sn.test', refresh: 1, retry: 1, expiration: 1, minimum: 1 }
  })
  const server = http.createServer(createSnApi(registry, {
    clientAddress: req => (req.headers['x-test-client'] as string | undefined) ?? req.socket.remoteAddress,
    authority: dns,
    ...init
  }))
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
    registry.close()
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    registry,
    dns,
    url,
    async call (method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers }
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
      if (options.client !== undefined) headers['x-test-client'] = options.client
      let body: string | undefined = options.raw
      if (options.body !== undefined) body = JSON.stringify(options.body)
      if (body !== undefined) headers['content-type'] = 'application/json'
      const res = await fetch(url + path, { method, headers, body })
      const text = await res.text()
      let parsed: unknown = text
      if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text)
      return { status: res.status, body: parsed, headers: res.headers }
    }
  }
}

/** Registers `<label>.sn.test` through the API with a laptop and a phone listed. */
export async function registerZone (api: Api, label: string): Promise<{ zone: string, owner: TestKey, laptop: TestKey, phone: TestKey }> {
  const owner = makeKey()
  const laptop = makeKey()
  const phone = makeKey()
  const zone = `${label}.${DOMAIN}`
  const { code } = api.registry.createInvite()
  const reg = await api.call('POST', '/v1/zones', { body: { invite: code, proof: await zoneProof(owner, zone) }, client: `10.9.${label.length}.1` })
  if (reg.status !== 201) throw new Error(`registration failed: ${JSON.stringify(reg.body)}`)
  const doc = await deviceListDoc(owner, zone, 1, [{ name: 'laptop', did: laptop.did }, { name: 'phone', did: phone.did }])
  const put = await api.call('PUT', `/v1/zones/${zone}/devices`, { body: { doc } })
  if (put.status !== 200) throw new Error(`device list refused: ${JSON.stringify(put.body)}`)
  return { zone, owner, laptop, phone }
}
