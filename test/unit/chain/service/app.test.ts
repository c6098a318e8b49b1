// The app action over real sockets: <app>.<zone> looked up in the app registry, public apps
// proxied without a user, private apps only with a session cookie the verifier accepts (else a
// 302 to the zone's login page naming the original URL), x-zonegate-user set by the gateway
// alone, and the coded refusals. Ends with a property: any Host, path and cookie gets a coded end.
import t from 'tap'
import fc from 'fast-check'
import net from 'node:net'
import { chain, startChains, type Harness } from '../runtime/harness.ts'
import { RawClient, startServices, type Services } from './helpers.ts'
import type { ProcessSpec } from '../../../../src/chain/types.ts'
import type { AppEntry, AppRegistry, SessionVerifier } from '../../../../src/chain/service/app.ts'
import { dropSessionCookie, sessionCookie, splitAppHost } from '../../../../src/chain/service/app.ts'
import { compileChainSet } from '../../../../src/chain/runtime/chain-set.ts'
import { silentLogger } from '../../../../src/core/logger.ts'
import { withinTime } from '../../../helpers/within-time.ts'

const app = (login = 'https://{zone}/login'): ProcessSpec => ({ kind: 'app', app: { login, connectTimeoutMs: 2000, responseTimeoutMs: 5000, idleTimeoutMs: 30_000 } })

const APPS: Record<string, AppEntry> = {
  'pub/alice.test': { service: 'alpha', private: false },
  'priv/alice.test': { service: 'beta', private: true },
  'broken/alice.test': { service: '../etc', private: false },
  'flaky/alice.test': { service: 'beta', private: true }
}
const apps: AppRegistry = {
  async lookup (name, zone) {
    if (name === 'down') throw new Error('system-config unreachable')
    return APPS[`${name}/${zone}`]
  }
}
const verified: string[] = []
const sessions: SessionVerifier = {
  async verify (token) {
    verified.push(token)
    if (token === 'boom') throw new Error('token issuer unreachable')
    return token === 'good-token' ? { user: 'alice' } : undefined
  }
}

async function setup (t: { teardown (fn: () => unknown): void }, process = app()): Promise<{ h: Harness, s: Services, c: RawClient }> {
  const s = await startServices(['alpha', 'beta'])
  t.teardown(() => s.close())
  const h = await startChains([chain('pub', [{ id: 'apps', process, postRespFilter: [{ kind: 'set_header', headers: { 'x-app': 'yes' } }] }])], 'pub', { open: s.open, apps, sessions })
  t.teardown(() => h.close())
  const c = new RawClient(h.port)
  t.teardown(() => c.close())
  return { h, s, c }
}

const get = (host: string, path = '/', extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`

t.test('a public app: proxied to its service, a forged x-zonegate-user removed', async t => {
  const { h, s, c } = await setup(t)
  const r = await c.request(get('pub.alice.test', '/a?b=c', 'X-Zonegate-User: root\r\nx-zonegate-user: admin\r\n'))
  t.equal(r.status, 200)
  t.same(JSON.parse(r.body), { svc: 'alpha', url: '/a?b=c', user: null })
  t.equal(r.headers['x-app'], 'yes', 'response filters apply')
  t.equal(s.seen[0].headers.host, 'pub.alice.test', 'the app sees its own name')
  t.same(s.opened, ['service://alpha'])
  t.match(h.entries[0], { route: 'apps', upstream: 'service://alpha', status: 200 })
})

t.test('a private app without a valid session: 302 to the zone\'s login page with the original URL', async t => {
  const { h, s, c } = await setup(t)
  verified.length = 0
  const cases: Array<[string, string]> = [
    ['no cookie', ''],
    ['other cookies only', 'Cookie: theme=dark; lang=en\r\n'],
    ['a token the verifier refuses', 'Cookie: theme=dark; zonegate_session=forged\r\n'],
    ['an empty token', 'Cookie: zonegate_session=\r\n']
  ]
  for (const [what, cookie] of cases) {
    const r = await c.request(get('priv.alice.test:8443', '/docs/a%20b?x=1&y=2', cookie))
    t.equal(r.status, 302, what)
    t.equal(r.headers.location, `https://alice.test/login?redirect=${encodeURIComponent('https://priv.alice.test:8443/docs/a%20b?x=1&y=2')}`, what)
    t.equal(r.headers['cache-control'], 'no-store', what)
    t.equal(r.headers['x-zonegate-error'], undefined, `${what}: a redirect, not an error`)
  }
  t.same(verified, ['forged'], 'only a present, non-empty token is checked')
  t.equal(s.seen.length, 0, 'nothing reached the private app')
  t.notOk(c.closed, 'the connection stays open for the next request')
  t.match(h.entries[0], { route: 'apps', status: 302 })
})

t.test('a login template with a query gets &redirect=', async t => {
  const { c } = await setup(t, app('https://login.{zone}/?app={host}'))
  const r = await c.request(get('priv.alice.test', '/'))
  t.equal(r.headers.location, `https://login.alice.test/?app=priv.alice.test&redirect=${encodeURIComponent('https://priv.alice.test/')}`)
})

t.test('a private app with a valid session: proxied with x-zonegate-user set by the gateway only', async t => {
  const { s, c } = await setup(t)
  const r = await c.request(get('priv.alice.test', '/me', 'Cookie: a=1; zonegate_session=good-token; b=2\r\nX-Zonegate-User: root\r\n'))
  t.equal(r.status, 200)
  t.same(JSON.parse(r.body), { svc: 'beta', url: '/me', user: 'alice' }, 'one x-zonegate-user, the verified one')
  const again = await c.request(get('priv.alice.test', '/me', 'Cookie: zonegate_session="good-token"\r\n'))
  t.equal(JSON.parse(again.body).user, 'alice', 'a quoted cookie value works too')
  const anon = await c.request(get('priv.alice.test', '/me', 'X-Zonegate-User: alice\r\n'))
  t.equal(anon.status, 302, 'the same request without the cookie but with the header: still a login redirect')
  t.equal(s.seen.length, 2)
  t.equal(s.seen[0].headers.cookie, 'a=1; b=2', 'the app gets its own cookies, never the zone session')
  t.equal(s.seen[1].headers.cookie, undefined, 'a Cookie field holding only the session is dropped')
})

t.test('coded refusals: unknown app 404, no app in the Host 400, registry or verifier failing 502/503', async t => {
  const { h, s, c } = await setup(t)
  const cases: Array<[string, string, number, string]> = [
    ['nosuch.alice.test', '', 404, 'CHAIN_ERR_APP_UNKNOWN'],
    ['pub.bob.test', '', 404, 'CHAIN_ERR_APP_UNKNOWN'],
    ['alice', '', 400, 'CHAIN_ERR_APP_BAD_HOST'],
    ['-x.alice.test', '', 400, 'CHAIN_ERR_APP_BAD_HOST'],
    ['127.0.0.1', '', 404, 'CHAIN_ERR_APP_UNKNOWN'],
    ['broken.alice.test', '', 502, 'CHAIN_ERR_APP_BAD_ENTRY'],
    ['down.alice.test', '', 502, 'CHAIN_ERR_APP_LOOKUP_FAILED'],
    ['flaky.alice.test', 'Cookie: zonegate_session=boom\r\n', 503, 'CHAIN_ERR_APP_SESSION_FAILED']
  ]
  for (const [host, extra, status, code] of cases) {
    const r = await c.request(get(host, '/', extra))
    t.equal(r.status, status, host)
    t.equal(r.headers['x-zonegate-error'], code, host)
  }
  t.equal(s.opened.length, 0)
  t.match(h.entries[0], { status: 404, error: 'CHAIN_ERR_APP_UNKNOWN' })
  // HTTP/1.0 without Host: no name at all.
  const c10 = new RawClient(h.port)
  t.teardown(() => c10.close())
  const r = await c10.request('GET / HTTP/1.0\r\n\r\n')
  t.equal(r.headers['x-zonegate-error'], 'CHAIN_ERR_APP_BAD_HOST')
})

t.test('an app route needs the app registry and the session verifier', async t => {
  const logger = silentLogger()
  const open = async (): Promise<never> => { throw new Error('unused') }
  await t.rejects(compileChainSet([chain('pub', [{ id: 'a', process: app() }])], { open, logger }), { code: 'CHAIN_ERR_APP_NO_REGISTRY' })
  await t.rejects(compileChainSet([chain('pub', [{ id: 'a', process: app() }])], { open, logger, apps }), { code: 'CHAIN_ERR_APP_NO_REGISTRY' })
  await t.resolves(compileChainSet([chain('pub', [{ id: 'a', process: app() }])], { open, logger, apps, sessions }))
})

t.test('splitAppHost and sessionCookie', async t => {
  t.same(splitAppHost('app.alice.test'), ['app', 'alice.test'])
  t.same(splitAppHost('app.alice.test.'), ['app', 'alice.test'])
  t.equal(splitAppHost('alice'), undefined)
  t.equal(splitAppHost('.alice'), undefined)
  t.equal(splitAppHost('app.'), undefined)
  t.equal(splitAppHost(undefined), undefined)
  t.equal(sessionCookie([['cookie', 'a=1;zonegate_session=x;zonegate_session=y']]), 'x')
  t.equal(sessionCookie([['cookie', 'a=1'], ['cookie', 'zonegate_session=z']]), 'z')
  t.equal(sessionCookie([['x-cookie', 'zonegate_session=z'], ['cookie', 'xzonegate_session=z']]), undefined)
  const h: Array<[string, string]> = [['Cookie', 'a=1;zonegate_session=x; b=2'], ['host', 'h'], ['cookie', 'zonegate_session=y']]
  dropSessionCookie(h)
  t.same(h, [['Cookie', 'a=1; b=2'], ['host', 'h']])
})

/** One request on its own connection; the raw answer once the gateway closes (Connection: close). */
async function rawOnce (port: number, request: string): Promise<string> {
  const c = net.connect(port, '127.0.0.1')
  c.on('error', () => {})
  c.write(request)
  const chunks: Buffer[] = []
  c.on('data', (d: Buffer) => chunks.push(d))
  const timer = setTimeout(() => c.destroy(), 5000)
  await new Promise(resolve => c.once('close', resolve))
  clearTimeout(timer)
  return Buffer.concat(chunks).toString('latin1')
}

t.test('property: any Host, path and cookie ends in the app, a login redirect or a coded answer', { timeout: 60_000 }, async t => {
  const { h } = await setup(t)
  const label = fc.oneof(fc.constantFrom('pub', 'priv', 'broken', 'down', 'flaky', 'nosuch', 'PUB', '-', ''), fc.stringMatching(/^[a-z0-9_.-]{0,12}$/))
  const zone = fc.constantFrom('alice.test', 'bob.test', '', 'alice.test.', 'x')
  const host = fc.oneof(fc.tuple(label, zone).map(([a, z]) => z === '' ? a : `${a}.${z}`), fc.stringMatching(/^[\x21-\x7e]{0,30}$/))
  const path = fc.oneof(fc.constant('/'), fc.stringMatching(/^\/[\x21-\x7e]{0,40}$/), fc.webPath().map(p => p === '' ? '/' : p))
  const cookie = fc.oneof(fc.constant(''), fc.constantFrom('zonegate_session=good-token', 'zonegate_session=boom', 'zonegate_session=', 'zonegate_session'),
    fc.stringMatching(/^[\x20-\x7e]{0,60}$/))
  const user = fc.constantFrom('', 'root', 'alice')
  const seen = new Set<string>()
  await fc.assert(fc.asyncProperty(host, path, cookie, user, withinTime(5000, async (hst, p, ck, u) => {
    const req = `GET ${p} HTTP/1.1\r\nHost: ${hst}\r\n${ck !== '' ? `Cookie: ${ck}\r\n` : ''}${u !== '' ? `X-Zonegate-User: ${u}\r\n` : ''}Connection: close\r\n\r\n`
    const answer = await rawOnce(h.port, req)
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(answer)
    if (m == null) return false
    const status = Number(m[1])
    seen.add(String(status))
    if (status === 200) {
      // Only a real app's answer, and a user only when the cookie was good.
      const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { user: string | null }
      return body.user === null || (body.user === 'alice' && ck.includes('zonegate_session=good-token'))
    }
    if (status === 302) return /\r\nlocation: https:\/\/[^\r\n]*\/login\?redirect=https%3A%2F%2F/i.test(answer)
    return /\r\nx-zonegate-error: [A-Z_]+\r\n/i.test(answer)
  })), { numRuns: 400 })
  t.ok(seen.size >= 3, `several outcomes were reached: ${[...seen].join(', ')}`)
  t.pass('no crash, every answer coded')
})
