// A real verify-hub for tests: node:http on 127.0.0.1:0, real Ed25519 keys, login JWTs signed
// by them, and a key holder in memory (what the lead's system-config adapter does).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { makeKey, type TestKey } from '../../helpers/keys.ts'
import { signJwt } from '../../../src/identity/jwt.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { createVerifyHub, type VerifyHub, type VerifyHubInit } from '../../../src/verify-hub/index.ts'

export const ZONE = 'alice.sn.test'

export { makeKey, type TestKey }

export function memoryKeys (): { load (): Promise<string | undefined>, save (pem: string): Promise<void>, pem?: string, saves: number } {
  const holder = {
    pem: undefined as string | undefined,
    saves: 0,
    async load () { return holder.pem },
    async save (pem: string) { holder.pem = pem; holder.saves++ }
  }
  return holder
}

export interface Teardown { teardown (fn: () => unknown): void }

export interface TestHub {
  hub: VerifyHub
  url: string
  owner: TestKey
  device: TestKey
  stranger: TestKey
  /** A login JWT by `key`. */
  loginJwt (key: TestKey, claims?: Record<string, unknown>, options?: { audience?: string, ttlSeconds?: number }): Promise<string>
  /** One RPC call; the parsed answer and HTTP status. */
  call (method: string, params: unknown): Promise<{ status: number, body: any, headers: Headers }>
  post (body: string, init?: { method?: string }): Promise<{ status: number, body: any }>
}

let seq = 0

export async function startHub (t: Teardown, options: Partial<VerifyHubInit> = {}): Promise<TestHub> {
  const owner = makeKey()
  const device = makeKey()
  const stranger = makeKey()
  const hub = await createVerifyHub({
    zone: ZONE,
    keys: memoryKeys(),
    trust: did => did === owner.did || did === device.did,
    users: did => did === owner.did ? 'root' : did === device.did ? 'bob' : undefined,
    logger: silentLogger(),
    ...options
  })
  const server = http.createServer(hub.handler)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kapi/verify_hub`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })
  async function post (body: string, init: { method?: string } = {}): Promise<{ status: number, body: any, headers: Headers }> {
    const res = await fetch(url, { method: init.method ?? 'POST', headers: { 'content-type': 'application/json' }, body: init.method === 'GET' ? undefined : body })
    const text = await res.text()
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers }
  }
  return {
    hub,
    url,
    owner,
    device,
    stranger,
    loginJwt: (key, claims = {}, o = {}) => signJwt(key, { purpose: 'login', ...claims }, { audience: o.audience ?? ZONE, ttlSeconds: o.ttlSeconds ?? 60, now: options.now }),
    async call (method, params) {
      const id = ++seq
      const r = await post(JSON.stringify({ method, params, sys: [id] }))
      if (r.body?.sys?.[0] !== id && r.status === 200) throw new Error(`sys does not echo ${id}`)
      return r
    },
    post
  }
}
