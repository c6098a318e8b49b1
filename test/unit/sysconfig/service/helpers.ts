// A real system-config service for tests: node:http on 127.0.0.1:0, the sqlite store in memory,
// real Ed25519 keys for the owner, two devices and a token issuer, and clients signing real JWTs.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { makeKey, type TestKey } from '../../../helpers/keys.ts'
import { signJwt } from '../../../../src/identity/jwt.ts'
import { silentLogger } from '../../../../src/core/logger.ts'
import { openSqliteStore } from '../../../../src/sysconfig/store/sqlite.ts'
import type { KvStore } from '../../../../src/sysconfig/store/types.ts'
import { DEFAULT_RULES, type AccessRule } from '../../../../src/sysconfig/rules.ts'
import { createSysConfigAuth } from '../../../../src/sysconfig/service/auth.ts'
import { createSysConfigHandler } from '../../../../src/sysconfig/service/handler.ts'
import { createSysConfigClient, type SysConfigClient } from '../../../../src/sysconfig/client.ts'

export const ZONE = 'alice.sn.test'

export { makeKey, type TestKey }

export interface Teardown { teardown (fn: () => unknown): void }

export interface TestService {
  url: string
  store: KvStore
  keys: { owner: TestKey, node1: TestKey, node2: TestKey, issuer: TestKey, stranger: TestKey }
  /** A client whose every call carries a token signed by `key` with these claims. */
  client (key: TestKey, claims?: Record<string, unknown>, subject?: string): SysConfigClient
  /** POST raw text; the parsed answer and status. */
  post (body: string | Buffer, init?: { method?: string }): Promise<{ status: number, body: any }>
  token (key: TestKey, claims?: Record<string, unknown>, subject?: string, audience?: string): Promise<string>
}

export async function startService (t: Teardown, options: { historyLimit?: number, maxWatches?: number, rules?: readonly AccessRule[], maxBodyBytes?: number, maxWatchMs?: number } = {}): Promise<TestService> {
  const keys = { owner: makeKey(), node1: makeKey(), node2: makeKey(), issuer: makeKey(), stranger: makeKey() }
  const store = openSqliteStore({ file: ':memory:', historyLimit: options.historyLimit, maxWatches: options.maxWatches })
  const auth = createSysConfigAuth({
    zone: ZONE,
    owner: keys.owner.did,
    devices: () => [{ name: 'node1', did: keys.node1.did }, { name: 'node2', did: keys.node2.did }],
    issuers: [keys.issuer.did],
    rules: options.rules ?? DEFAULT_RULES
  })
  const handler = createSysConfigHandler({ store, auth, logger: silentLogger(), maxBodyBytes: options.maxBodyBytes, maxWatchMs: options.maxWatchMs })
  const server = http.createServer(handler)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kapi/system_config`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
    await store.close()
  })
  const token = (key: TestKey, claims: Record<string, unknown> = {}, subject?: string, audience = ZONE): Promise<string> =>
    signJwt(key, claims, { audience, ttlSeconds: 300, subject })
  return {
    url,
    store,
    keys,
    token,
    client: (key, claims, subject) => createSysConfigClient({ url, token: () => token(key, claims, subject) }),
    async post (body, init = {}) {
      const res = await fetch(url, { method: init.method ?? 'POST', headers: { 'content-type': 'application/json' }, body: init.method === 'GET' ? undefined : body })
      const text = await res.text()
      return { status: res.status, body: text === '' ? undefined : JSON.parse(text) }
    }
  }
}

/** Resolve when `check()` is true, polling the event loop; fail after `ms`. */
export async function until (check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setImmediate(resolve))
  }
}
