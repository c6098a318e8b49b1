// Manager behaviour that needs no CA: spec checks, failure against an unreachable CA (fast,
// recorded, backed off), stop().
import t from 'tap'
import { createAcmeManager, memoryStateStore } from '../../../src/acme/index.ts'
import { silentLogger } from '../../../src/core/logger.ts'
import { closedPort } from '../../helpers/free-port.ts'

const dns01 = { publish: async () => {}, remove: async () => {} }

t.test('bad certificate specs are refused at creation', async t => {
  const make = (certificates: Array<{ id: string, names: string[], challenge: 'dns-01' | 'http-01' }>, solvers: object = { dns01 }): unknown =>
    createAcmeManager({ directoryUrl: 'https://127.0.0.1:1/dir', certificates, state: memoryStateStore(), logger: silentLogger(), ...solvers })
  t.throws(() => make([{ id: '../x', names: ['a.test'], challenge: 'dns-01' }]), { code: 'ACME_ERR_BAD_SPEC' })
  t.throws(() => make([{ id: 'x', names: [], challenge: 'dns-01' }]), { code: 'ACME_ERR_BAD_SPEC' })
  t.throws(() => make([{ id: 'x', names: ['a..test'], challenge: 'dns-01' }]), { code: 'ACME_ERR_BAD_SPEC' })
  t.throws(() => make([{ id: 'x', names: ['*.a.test'], challenge: 'http-01' }], { http01: { publish: async () => {}, remove: async () => {} } }), { code: 'ACME_ERR_BAD_SPEC' })
  t.throws(() => make([{ id: 'x', names: ['a.test'], challenge: 'dns-01' }, { id: 'x', names: ['b.test'], challenge: 'dns-01' }]), { code: 'ACME_ERR_BAD_SPEC' })
  t.throws(() => make([{ id: 'x', names: ['a.test'], challenge: 'http-01' }]), { code: 'ACME_ERR_NO_SOLVER' })
  t.throws(() => make([{ id: 'x', names: ['a.test'], challenge: 'dns-01' }], {}), { code: 'ACME_ERR_NO_SOLVER' })
})

t.test('an unreachable CA fails fast, backs off, and shows in status', async t => {
  const port = await closedPort()
  const state = memoryStateStore()
  const manager = createAcmeManager({
    directoryUrl: `https://127.0.0.1:${port}/dir`,
    certificates: [{ id: 'x', names: ['a.test'], challenge: 'dns-01' }],
    state, dns01, logger: silentLogger()
  })
  t.teardown(() => manager.stop())
  const started = Date.now()
  await manager.ensure()
  t.ok(Date.now() - started < 5000, 'no 75 s of acme-client HTTP retries')
  const [status] = manager.status()
  t.match(status.lastError, /ECONNREFUSED/)
  t.ok(Date.parse(status.nextAttemptAt!) >= started + 60_000)
  t.equal(status.notAfter, undefined)
  t.throws(() => manager.certStore('x').select('a.test'), { code: 'ACME_ERR_NOT_ISSUED' })
  t.same(manager.certStore('x').names(), ['a.test'])
  // Concurrent ensure() calls share one run: still one failure counted.
  const again = createAcmeManager({
    directoryUrl: `https://127.0.0.1:${port}/dir`,
    certificates: [{ id: 'y', names: ['b.test'], challenge: 'dns-01' }],
    state, dns01, logger: silentLogger()
  })
  t.teardown(() => again.stop())
  await Promise.all([again.ensure(), again.ensure(), again.ensure()])
  t.equal((JSON.parse(state.get('cert/y/backoff')!) as { failures: number }).failures, 1)
})

t.test('stop() while an order runs records no failure', async t => {
  let release: () => void = () => {}
  const gate = new Promise<void>(resolve => { release = resolve })
  // A CA that never answers until released: the run is in flight when stop() is called.
  const { createServer } = await import('node:http')
  const server = createServer((_req, res) => { void gate.then(() => res.destroy()) })
  server.listen(0, '127.0.0.1')
  await new Promise(resolve => server.once('listening', resolve))
  t.teardown(() => { release(); server.close() })
  const state = memoryStateStore()
  const manager = createAcmeManager({
    directoryUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/dir`,
    certificates: [{ id: 'x', names: ['a.test'], challenge: 'dns-01' }],
    state, dns01, logger: silentLogger()
  })
  const running = manager.ensure()
  manager.stop()
  release()
  await running
  t.equal(state.get('cert/x/backoff'), undefined)
  t.equal(manager.status()[0].lastError, undefined)
})
