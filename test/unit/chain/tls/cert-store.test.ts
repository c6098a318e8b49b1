import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadCertStore, certNames } from '../../../../src/chain/tls/cert-store.ts'
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { makeCert, type MadeCert } from './make-cert.ts'

async function codeOf (p: Promise<unknown>): Promise<{ code?: string, message?: string }> {
  try {
    await p
  } catch (err) {
    return err as { code?: string, message?: string }
  }
  return {}
}

const spec = (c: MadeCert, sni: string[] = []): { certFile: string, keyFile: string, sni: string[] } => ({ certFile: c.certFile, keyFile: c.keyFile, sni })

t.test('names, selection and warnings', async t => {
  const dir = t.testdir()
  const [first, exact, wild, deep, cnOnly, old] = await Promise.all([
    makeCert(dir, 'first', { cn: 'first.test' }),
    makeCert(dir, 'exact', { cn: 'a.example.com' }),
    makeCert(dir, 'wild', { cn: 'wild', dns: ['*.example.com', 'example.org'] }),
    makeCert(dir, 'deep', { cn: 'deep', dns: ['*.b.example.com'] }),
    makeCert(dir, 'cn', { cn: 'cn-only.test', dns: [] }),
    makeCert(dir, 'old', { cn: 'old.test', expired: true })
  ])
  t.same(certNames(new X509Certificate(readFileSync(cnOnly.certFile))), ['cn-only.test'], 'CN when there are no SANs')
  const store = await loadCertStore([spec(first), spec(exact), spec(wild), spec(deep), spec(cnOnly), spec(old), spec(first, ['Override.TEST'])])
  t.same(store.names(), ['first.test', 'a.example.com', '*.example.com', 'example.org', '*.b.example.com', 'cn-only.test', 'old.test', 'override.test'])

  const ctx = (name: string | undefined): unknown => store.select(name)
  const of = (c: MadeCert): unknown => store.select(c === wild ? 'example.org' : c === first ? 'first.test' : c === exact ? 'a.example.com' : c === deep ? 'x.b.example.com' : c === cnOnly ? 'cn-only.test' : 'old.test')
  t.equal(ctx('a.example.com'), of(exact), 'exact beats the wildcard')
  t.equal(ctx('A.Example.COM.'), of(exact), 'case and a trailing dot do not matter')
  t.equal(ctx('z.example.com'), of(wild), 'wildcard for one label')
  t.equal(ctx('a.b.example.com'), of(deep), 'the deeper wildcard for two labels')
  t.equal(ctx('a.c.example.com'), of(first), '*.example.com does not serve two labels')
  t.equal(ctx('example.com'), of(first), '*.example.com does not serve the apex')
  t.equal(ctx('unknown.test'), of(first), 'unknown names get the first certificate')
  t.equal(ctx(undefined), of(first), 'no SNI gets the first certificate')
  t.not(ctx('override.test'), ctx(undefined), 'the sni list names its own pair (a second context for the same files), found by exact name')
  t.not(of(first), of(wild))
  t.not(of(old), of(first))

  t.equal(store.warnings.length, 1, 'only the expired certificate is reported')
  t.match(store.warnings[0], old.certFile)
  t.match(store.warnings[0], /expired/)
  const later = await loadCertStore([spec(first)], { now: new Date(Date.now() + 3 * 86400_000) })
  t.match(later.warnings, [/expired/], 'the clock is injectable')
})

t.test('coded errors name the file', async t => {
  const dir = t.testdir()
  const [a, b] = await Promise.all([makeCert(dir, 'a', { cn: 'a.test' }), makeCert(dir, 'b', { cn: 'b.test' })])
  const garbage = join(dir, 'garbage.pem')
  await writeFile(garbage, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n')

  let e = await codeOf(loadCertStore([{ certFile: a.certFile, keyFile: b.keyFile, sni: [] }]))
  t.equal(e.code, 'CHAIN_ERR_TLS_KEY_MISMATCH')
  t.match(e.message, b.keyFile)
  t.match(e.message, a.certFile)

  e = await codeOf(loadCertStore([{ certFile: join(dir, 'missing.pem'), keyFile: a.keyFile, sni: [] }]))
  t.equal(e.code, 'CHAIN_ERR_TLS_FILE_UNREADABLE')
  t.match(e.message, 'missing.pem')
  t.match(e.message, 'ENOENT')

  e = await codeOf(loadCertStore([{ certFile: garbage, keyFile: a.keyFile, sni: [] }]))
  t.equal(e.code, 'CHAIN_ERR_TLS_BAD_CERT')
  t.match(e.message, garbage)

  e = await codeOf(loadCertStore([{ certFile: a.certFile, keyFile: a.certFile, sni: [] }]))
  t.equal(e.code, 'CHAIN_ERR_TLS_BAD_KEY', 'a certificate where the key should be')
  t.match(e.message, a.certFile)

  e = await codeOf(loadCertStore([{ certFile: a.certFile, keyFile: garbage, sni: [] }]))
  t.equal(e.code, 'CHAIN_ERR_TLS_BAD_KEY')

  e = await codeOf(loadCertStore([]))
  t.equal(e.code, 'CHAIN_ERR_TLS_NO_CERTS')

  for (const bad of ['*', 'a.*.example.com', '*.*.example.com', '.example.com', 'a..b']) {
    e = await codeOf(loadCertStore([spec(a, [bad])]))
    t.equal(e.code, 'CHAIN_ERR_TLS_BAD_NAME', bad)
  }
})

t.test('duplicate names: the first pair keeps them', async t => {
  const dir = t.testdir()
  const [a, b] = await Promise.all([makeCert(dir, 'a', { cn: 'same.test' }), makeCert(dir, 'b', { cn: 'same.test' })])
  const store = await loadCertStore([spec(b), spec(a), spec(b, ['other.test'])])
  t.equal(store.select('same.test'), store.select(undefined), 'b came first')
  t.same(store.names(), ['same.test', 'other.test'])
  t.match(store.warnings, [/already served/])
})
