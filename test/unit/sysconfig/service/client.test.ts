// src/sysconfig/client.ts: reply checking, error mapping, watchLoop with resync on COMPACTED.
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createSysConfigClient } from '../../../../src/sysconfig/client.ts'
import type { WatchEvent } from '../../../../src/sysconfig/store/types.ts'
import { startService, type Teardown } from './helpers.ts'

function deferred<T> (): { promise: Promise<T>, resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>(r => { resolve = r })
  return { promise, resolve }
}

async function fakeServer (t: Teardown, answer: (res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer((req, res) => { req.resume(); req.on('end', () => answer(res)) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

t.test('replies that are not ours are coded errors', async t => {
  const cases: Array<[string, (res: http.ServerResponse) => void, string]> = [
    ['wrong seq', res => res.end('{"result":null,"sys":[999]}'), 'SYSCFG_ERR_BAD_REPLY'],
    ['not JSON', res => res.end('<html>'), 'SYSCFG_ERR_BAD_REPLY'],
    ['wrong shape', res => res.end('{"result":{"value":1},"sys":[1]}'), 'SYSCFG_ERR_BAD_REPLY'],
    ['an error without a code', res => res.end('{"error":{"message":"x"},"sys":[1]}'), 'SYSCFG_ERR_BAD_REPLY'],
    ['a proxy error page', res => { res.statusCode = 502; res.end('bad gateway') }, 'SYSCFG_ERR_TRANSPORT'],
    ['a coded error', res => res.end('{"error":{"code":"SYSCFG_ERR_SOMETHING_NEW","message":"later"},"sys":[1]}'), 'SYSCFG_ERR_SOMETHING_NEW']
  ]
  for (const [name, answer, code] of cases) {
    const url = await fakeServer(t, answer)
    await t.rejects(createSysConfigClient({ url, token: () => 'x' }).get('a'), { code }, name)
  }
  const closed = http.createServer()
  await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise(resolve => closed.close(resolve))
  await t.rejects(createSysConfigClient({ url: `http://127.0.0.1:${port}/`, token: () => 'x' }).get('a'), { code: 'SYSCFG_ERR_TRANSPORT' }, 'nobody listening')
})

t.test('watchLoop delivers events in order until aborted', async t => {
  const svc = await startService(t)
  const root = svc.client(svc.keys.owner)
  const node1 = svc.client(svc.keys.node1)
  const from = await root.set('services/web/spec', 'v0')
  const ac = new AbortController()
  const seen: WatchEvent[] = []
  const gotTwo = deferred<void>()
  const loop = node1.watchLoop('services/', from, async events => {
    seen.push(...events)
    if (seen.length >= 2) gotTwo.resolve()
  }, ac.signal, { timeoutMs: 30_000 })
  await root.set('services/web/spec', 'v1')
  await root.set('boot/config', 'not under the prefix')
  await root.set('services/web/info', 'i')
  await gotTwo.promise
  t.same(seen.map(e => [e.key, e.value]), [['services/web/spec', 'v1'], ['services/web/info', 'i']])
  ac.abort()
  await loop
  t.pass('the loop ends when its signal aborts, even mid-poll')
})

t.test('watchLoop resyncs after COMPACTED, without secrets it may not read', async t => {
  const svc = await startService(t, { historyLimit: 2 })
  const root = svc.client(svc.keys.owner)
  const node1 = svc.client(svc.keys.node1)
  await root.set('system/verify-hub/key', 'SECRET')
  await root.set('services/web/spec', 's')
  await root.set('services/web/instances/node2', 'n2')
  await root.set('boot/config', 'b')
  await root.set('services/web/spec', 's2')
  const ac = new AbortController()
  const resynced = deferred<{ entries: Map<string, { value: string, revision: number }>, revision: number }>()
  const events = deferred<WatchEvent[]>()
  const loop = node1.watchLoop('', 0, evs => { events.resolve(evs) }, ac.signal, {
    timeoutMs: 30_000,
    onResync: (entries, revision) => { resynced.resolve({ entries, revision }) }
  })
  const { entries, revision } = await resynced.promise
  t.equal(revision, 5)
  t.same(Object.fromEntries([...entries].map(([k, e]) => [k, e.value])), {
    'services/web/spec': 's2', 'services/web/instances/node2': 'n2', 'boot/config': 'b'
  }, 'the snapshot holds everything readable, and not the secret')
  await root.set('nodes/node1/config', 'c')
  t.same((await events.promise).map(e => [e.key, e.value, e.revision]), [['nodes/node1/config', 'c', 6]], 'then the loop follows from the resync revision')
  ac.abort()
  await loop
})

t.test('watchLoop reports other failures and keeps going', async t => {
  const svc = await startService(t)
  const photos = svc.client(svc.keys.issuer, { app: 'photos' }, 'bob')
  const ac = new AbortController()
  const failed = deferred<unknown>()
  const loop = photos.watchLoop('', 0, () => {}, ac.signal, { onError: err => failed.resolve(err) })
  t.match(await failed.promise, { code: 'SYSCFG_ERR_FORBIDDEN' })
  ac.abort()
  await loop
})
