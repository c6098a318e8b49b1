// The control API: a token file made 0600 at first start, every request checked against it.
import t from 'tap'
import { stat, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startControl, ensureToken } from '../../../src/gateway/control.ts'
import { silentLogger } from '../../../src/core/logger.ts'

t.test('token file: made once with mode 0600, then reused', async t => {
  const file = join(t.testdir(), 'gw.yaml.token')
  const a = await ensureToken(file)
  t.match(a, /^[A-Za-z0-9_-]{43}$/)
  t.equal((await stat(file)).mode & 0o777, 0o600)
  t.equal(await ensureToken(file), a)
  t.equal((await readFile(file, 'utf8')).trim(), a)
})

t.test('requests need the token; reload and status answer', async t => {
  const tokenFile = join(t.testdir(), 'token')
  let reloads = 0
  let ok = true
  const server = await startControl({ listen: '127.0.0.1:0', tokenFile }, {
    async reload () { reloads++; return ok ? { ok: true, started: [] } : { ok: false, error: 'bad' } as { ok: boolean } },
    status: () => ({ stacks: [] })
  }, silentLogger())
  t.teardown(() => server.close())
  const token = await ensureToken(tokenFile)
  const call = async (method: string, path: string, auth?: string): Promise<Response> =>
    await fetch(server.url + path, { method, headers: auth != null ? { authorization: auth } : {} })
  t.equal((await call('POST', '/v1/reload')).status, 401)
  t.equal((await call('POST', '/v1/reload', 'Bearer wrong')).status, 401)
  t.equal((await call('POST', '/v1/reload', `Bearer ${token}x`)).status, 401)
  t.equal(reloads, 0, 'nothing happens without the token')
  const r = await call('POST', '/v1/reload', `Bearer ${token}`)
  t.equal(r.status, 200)
  t.same(await r.json(), { ok: true, started: [] })
  ok = false
  t.equal((await call('POST', '/v1/reload', `Bearer ${token}`)).status, 422)
  t.equal(reloads, 2)
  const s = await call('GET', '/v1/status', `Bearer ${token}`)
  t.same(await s.json(), { stacks: [] })
  t.equal((await call('GET', '/v1/nope', `Bearer ${token}`)).status, 404)
})
