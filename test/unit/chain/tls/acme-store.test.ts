// tls_terminate with `acme: <id>`: the certificate store comes from ChainDeps.certs (the ACME
// manager) and is asked at every handshake, so a certificate issued after the chains were built
// is served without a reload; before that, clients are refused with a logged, coded reason.
import t from 'tap'
import tls, { createSecureContext, type SecureContext } from 'node:tls'
import https from 'node:https'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chain, startChains } from '../runtime/harness.ts'
import { makeCert } from './make-cert.ts'
import type { CertStore } from '../../../../src/chain/tls/cert-store.ts'
import type { ProcessSpec } from '../../../../src/chain/types.ts'
import { compileChainSet } from '../../../../src/chain/runtime/chain-set.ts'
import { createError } from '../../../../src/core/errors.ts'
import { silentLogger } from '../../../../src/core/logger.ts'

// What the ACME manager's store throws before the first issuance (its code is the manager's).
const NOT_ISSUED = createError<[string]>('ACME_ERR_NOT_ISSUED', 'certificate %s is not issued yet')

const dir = await mkdtemp(join(tmpdir(), 'acme-store-'))
t.teardown(() => rm(dir, { recursive: true, force: true }))
const made = await makeCert(dir, 'site', { cn: 'site.test', dns: ['site.test'] })
const cert = await readFile(made.certFile)
const context = createSecureContext({ cert, key: await readFile(made.keyFile) })

const open = async (): Promise<never> => { throw new Error('no upstreams here') }
const terminate: ProcessSpec = { kind: 'tls_terminate', certs: [], acme: 'site', then: 'web', alpn: ['http/1.1'], handshakeTimeoutMs: 2000 }
const specs = [
  chain('edge', [{ id: 'term', process: terminate }], { probe: ['tls'] }),
  chain('web', [{ id: 'hi', process: { kind: 'respond', status: 200, headers: {}, body: 'hi' } }], { probe: ['http'] })
]

function get (port: number, servername: string): Promise<{ status?: number, body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, servername, path: '/', ca: cert, headers: { host: servername }, agent: false }, res => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => resolve({ status: res.statusCode, body }))
    })
    req.on('error', reject)
  })
}

t.test('refused (coded, logged) until issued, then served by the same chains without a reload', { timeout: 15_000 }, async t => {
  let issued: SecureContext | undefined
  const asked: string[] = []
  const store: CertStore = {
    select () { if (issued == null) throw new NOT_ISSUED('site'); return issued },
    names: () => ['site.test'],
    warnings: []
  }
  const h = await startChains(specs, 'edge', { open, certs: (id) => { asked.push(id); return store } })
  t.teardown(() => h.close())
  t.same(asked, ['site'], 'the store is taken by the route\'s certificate id')

  const c = tls.connect({ port: h.port, host: '127.0.0.1', servername: 'site.test', ca: cert })
  const [err] = await once(c, 'error') as [NodeJS.ErrnoException]
  t.match(err.code, /ECONNRESET|EPIPE/, 'the client is reset')
  t.match(await h.entry(0), { route: 'term', error: 'CHAIN_ERR_TLS_CERT_UNAVAILABLE', reason: /ACME_ERR_NOT_ISSUED/ })
  t.ok(h.logs.some(l => l.level === 40 && l.msg === 'TLS client refused: no certificate yet'), 'a warning names the cause')

  issued = context
  t.same(await get(h.port, 'site.test'), { status: 200, body: 'hi' })
})

t.test('a store that fails only for some names refuses those handshakes, coded', { timeout: 15_000 }, async t => {
  const store: CertStore = {
    select (name) { if (name != null && name !== 'site.test') throw new NOT_ISSUED(name); return context },
    names: () => ['site.test'],
    warnings: []
  }
  const h = await startChains(specs, 'edge', { open, certs: () => store })
  t.teardown(() => h.close())
  const c = tls.connect({ port: h.port, host: '127.0.0.1', servername: 'other.test', rejectUnauthorized: false })
  await once(c, 'error')
  t.match(await h.entry(0), { error: 'CHAIN_ERR_TLS_CERT_UNAVAILABLE', reason: /ACME_ERR_NOT_ISSUED/ })
  t.same(await get(h.port, 'site.test'), { status: 200, body: 'hi' }, 'the issued name still works')
})

t.test('an acme route in a process without an ACME manager fails to compile, coded', async t => {
  await t.rejects(compileChainSet(specs, { open, logger: silentLogger() }), { code: 'CHAIN_ERR_TLS_NO_CERT_PROVIDER', message: /edge\/term.*"site"/ })
})
