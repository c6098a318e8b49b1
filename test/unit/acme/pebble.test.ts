// The ACME manager against Debian's pebble, with pebble-challtestsrv as the DNS server pebble
// resolves through: dns-01 (wildcard and base name in one order), http-01, the chain verified
// against pebble's root, restart reuse, failure backoff, resuming an order, renewal swap.
import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { pino, type Logger } from 'pino'
import { createAcmeManager, fileStateStore, type AcmeManagerInit } from '../../../src/acme/index.ts'
import { snWaitDns } from '../../../src/zone/dns01.ts'
import { startChallTestSrv, startPebble, challDns01Solver } from '../../helpers/pebble.ts'
import type { CertStore } from '../../../src/chain/tls/cert-store.ts'

const chall = await startChallTestSrv()
const pebble = await startPebble({ dnsServer: chall.dnsServer })
const root = await pebble.rootPem()
const work = await mkdtemp(join(tmpdir(), 'acme-test-'))
t.teardown(async () => {
  await pebble.stop()
  await chall.stop()
  await rm(work, { recursive: true, force: true })
})

interface Captured { logger: Logger, messages: () => Array<Record<string, unknown>> }
function capture (): Captured {
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>) } })
  return { logger, messages: () => lines }
}

const waitDns: AcmeManagerInit['waitDns'] = async (fqdn, value, signal) => {
  await snWaitDns({ host: '127.0.0.1', port: chall.dnsPort }, { timeoutMs: 10_000 })(fqdn, value, signal)
}

function base (dir: string, over: Partial<AcmeManagerInit> = {}): AcmeManagerInit {
  return {
    directoryUrl: pebble.directoryUrl,
    caBundle: pebble.caPem,
    email: 'ops@a.test',
    certificates: [{ id: 'wild', names: ['a.test', '*.a.test'], challenge: 'dns-01' }],
    state: fileStateStore(dir),
    dns01: challDns01Solver(chall),
    waitDns,
    logger: capture().logger,
    ...over
  }
}

/** A TLS handshake against a server using the CertStore, trusting only pebble's root. */
async function handshake (store: CertStore, servername: string): Promise<X509Certificate> {
  const server = createTlsServer({ SNICallback: (name, cb) => { try { cb(null, store.select(name)) } catch (err) { cb(err as Error) } } }, s => s.end())
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const port = (server.address() as { port: number }).port
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername, ca: root })
    await once(socket, 'secureConnect')
    const peer = new X509Certificate(socket.getPeerCertificate(true).raw)
    socket.destroy()
    return peer
  } finally {
    server.close()
  }
}

function chainOf (dir: string, id: string): X509Certificate[] {
  const pem = fileStateStore(dir).get(`cert/${id}/chain`) ?? ''
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(p => new X509Certificate(p))
}

t.test('dns-01 for a.test and *.a.test in one order; the chain verifies against pebble\'s root', async t => {
  const dir = join(work, 'dns')
  const init = base(dir)
  const manager = createAcmeManager(init)
  t.teardown(() => manager.stop())
  const store = manager.certStore('wild')
  t.throws(() => store.select('a.test'), { code: 'ACME_ERR_NOT_ISSUED' })
  t.throws(() => manager.certStore('nope'), { code: 'ACME_ERR_UNKNOWN_CERT' })
  const issued: string[] = []
  manager.on('issued', id => issued.push(id))
  await manager.ensure()
  t.same(issued, ['wild'])
  const [status] = manager.status()
  t.equal(status.lastError, undefined)
  t.ok(status.notAfter !== undefined && status.renewAt !== undefined && Date.parse(status.renewAt) < Date.parse(status.notAfter))
  const chain = chainOf(dir, 'wild')
  t.ok(chain.length >= 2, 'leaf and intermediate')
  const rootCert = new X509Certificate(root)
  t.ok(chain[0].verify(chain[1].publicKey), 'leaf signed by the intermediate')
  t.ok(chain[chain.length - 1].verify(rootCert.publicKey), 'intermediate signed by pebble\'s root')
  t.match(chain[0].subjectAltName, /DNS:a\.test/)
  t.match(chain[0].subjectAltName, /DNS:\*\.a\.test/)
  const peer = await handshake(store, 'x.a.test') // also checks the name and the chain, trusting the root only
  t.equal(peer.serialNumber, chain[0].serialNumber)
  await handshake(store, 'a.test')
  // The key the manager made matches the certificate and stays private (0600).
  const key = fileStateStore(dir).get('cert/wild/key') ?? ''
  t.ok(chain[0].checkPrivateKey(await import('node:crypto').then(c => c.createPrivateKey(key))))
  t.equal((await stat(join(dir, 'cert', 'wild', 'key'))).mode & 0o777, 0o600)
  t.ok(fileStateStore(dir).get('account/url')?.startsWith('https://127.0.0.1:'))
  t.equal(fileStateStore(dir).get('cert/wild/order'), undefined, 'order state dropped after issuance')

  t.test('a restart with the same state reuses the certificate: no new order', async t => {
    const log = capture()
    const solver = challDns01Solver(chall)
    const again = createAcmeManager(base(dir, { dns01: solver, logger: log.logger }))
    t.teardown(() => again.stop())
    let reissued = false
    again.on('issued', () => { reissued = true })
    const before = await handshake(again.certStore('wild'), 'b.a.test') // served from state before ensure()
    t.equal(before.serialNumber, chain[0].serialNumber)
    await again.ensure()
    t.equal(reissued, false)
    t.same(solver.published, [])
    t.notOk(log.messages().some(m => m.msg === 'acme order created'))
    t.equal(chainOf(dir, 'wild')[0].serialNumber, chain[0].serialNumber)
  })
})

t.test('http-01 through an Http01Solver on pebble\'s httpPort', async t => {
  const tokens = new Map<string, string>()
  const server = createHttpServer((req, res) => {
    const token = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '')?.[1]
    const answer = token !== undefined ? tokens.get(token) : undefined
    res.writeHead(answer !== undefined ? 200 : 404, { 'content-type': 'text/plain' }).end(answer ?? '')
  })
  server.listen(pebble.httpPort, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const removed: string[] = []
  const dir = join(work, 'http')
  const manager = createAcmeManager(base(dir, {
    certificates: [{ id: 'web', names: ['h.test', 'www.h.test'], challenge: 'http-01' }],
    dns01: undefined,
    http01: {
      publish: async (token, keyAuthorization) => { tokens.set(token, keyAuthorization) },
      remove: async token => { tokens.delete(token); removed.push(token) }
    }
  }))
  t.teardown(() => manager.stop())
  await manager.ensure()
  t.equal(manager.status()[0].lastError, undefined)
  t.equal(removed.length, 2, 'both tokens withdrawn after validation')
  t.equal(tokens.size, 0)
  const peer = await handshake(manager.certStore('web'), 'www.h.test')
  t.match(peer.subjectAltName, /DNS:www\.h\.test/)
})

t.test('a failed challenge backs off, is persisted, and a restart does not retry early', async t => {
  const dir = join(work, 'fail')
  const wrong = challDns01Solver(chall, v => `${v}-wrong`)
  const start = Date.now()
  const manager = createAcmeManager(base(dir, { certificates: [{ id: 'bad', names: ['f.test'], challenge: 'dns-01' }], dns01: wrong, waitDns: undefined }))
  t.teardown(() => manager.stop())
  await manager.ensure()
  const [status] = manager.status()
  t.match(status.lastError, /dns-01 challenge for f\.test failed/)
  t.ok(status.nextAttemptAt !== undefined)
  const next = Date.parse(status.nextAttemptAt!)
  t.ok(next >= start + 60_000 && next <= Date.now() + 75_000 + 1000, 'first retry after 1 min plus jitter')
  t.throws(() => manager.certStore('bad').select('f.test'), { code: 'ACME_ERR_NOT_ISSUED' })
  t.match(manager.certStore('bad').warnings.join(), /last order failed/)
  await manager.ensure()
  t.equal(wrong.published.length, 1, 'no second order while backing off')
  const persisted = JSON.parse(fileStateStore(dir).get('cert/bad/backoff') ?? '{}') as Record<string, unknown>
  t.equal(persisted.failures, 1)

  const solver = challDns01Solver(chall)
  const restarted = createAcmeManager(base(dir, { certificates: [{ id: 'bad', names: ['f.test'], challenge: 'dns-01' }], dns01: solver }))
  t.teardown(() => restarted.stop())
  t.equal(restarted.status()[0].lastError, status.lastError, 'the error survives a restart')
  t.equal(restarted.status()[0].nextAttemptAt, status.nextAttemptAt)
  await restarted.ensure()
  t.same(solver.published, [], 'restart respects the backoff')

  // Past the backoff: the invalid order is dropped and a new one succeeds.
  const later = createAcmeManager(base(dir, { certificates: [{ id: 'bad', names: ['f.test'], challenge: 'dns-01' }], dns01: solver, now: () => Date.now() + 2 * 3600_000 }))
  t.teardown(() => later.stop())
  await later.ensure()
  t.equal(later.status()[0].lastError, undefined)
  t.equal(later.status()[0].nextAttemptAt, undefined)
  t.equal(fileStateStore(dir).get('cert/bad/backoff'), undefined)
  t.equal(solver.published.length, 1)
})

t.test('a restart mid-order resumes the persisted order', async t => {
  const dir = join(work, 'resume')
  const certificates = [{ id: 'res', names: ['r.test'], challenge: 'dns-01' as const }]
  const broken = { publish: async () => { throw new Error('solver down') }, remove: async () => {} }
  const first = createAcmeManager(base(dir, { certificates, dns01: broken }))
  t.teardown(() => first.stop())
  await first.ensure()
  t.match(first.status()[0].lastError, /solver down/)
  const saved = JSON.parse(fileStateStore(dir).get('cert/res/order') ?? '{}') as { url?: string }
  t.ok(saved.url?.startsWith('https://'))

  const log = capture()
  const second = createAcmeManager(base(dir, { certificates, logger: log.logger, now: () => Date.now() + 2 * 3600_000 }))
  t.teardown(() => second.stop())
  await second.ensure()
  t.equal(second.status()[0].lastError, undefined)
  const resumed = log.messages().find(m => m.msg === 'acme order resumed')
  t.equal(resumed?.order, saved.url)
  t.notOk(log.messages().some(m => m.msg === 'acme order created'))
})

t.test('renewal swaps the context of the same CertStore', async t => {
  const dir = join(work, 'renew')
  let offset = 0
  const manager = createAcmeManager(base(dir, {
    certificates: [{ id: 'ren', names: ['n.test'], challenge: 'dns-01' }],
    renewBeforeMs: 24 * 3600_000,
    now: () => Date.now() + offset
  }))
  t.teardown(() => manager.stop())
  const store = manager.certStore('ren')
  await manager.ensure()
  const first = await handshake(store, 'n.test')
  const status = manager.status()[0]
  t.equal(Date.parse(status.notAfter!) - Date.parse(status.renewAt!), 24 * 3600_000, 'renewBefore applied')
  await manager.ensure()
  t.equal((await handshake(store, 'n.test')).serialNumber, first.serialNumber, 'not due yet: same certificate')
  offset = Date.parse(status.renewAt!) - Date.now() + 1000
  let count = 0
  manager.on('issued', () => { count++ })
  await manager.ensure()
  t.equal(count, 1)
  const second = await handshake(store, 'n.test')
  t.not(second.serialNumber, first.serialNumber, 'the same store now serves the renewed certificate')
  t.equal(chainOf(dir, 'ren')[0].serialNumber, second.serialNumber)
})
