// The ACME manager's decoders of bytes from outside: the certificate DER walked for the ARI
// certID, and renewalInfo JSON. Random and mutated input gives a coded error or a valid
// result, never a crash.
import t from 'tap'
import fc from 'fast-check'
import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { certIdOf } from '../../../src/acme/cert-id.ts'
import { parseWindow, pickInWindow } from '../../../src/acme/ari.ts'
import { selfSigned } from '../../helpers/self-signed.ts'

const dir = await mkdtemp(join(tmpdir(), 'acme-der-'))
t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
const cert = new X509Certificate((await selfSigned(dir)).cert)
const der = new Uint8Array(cert.raw)

function onlyCoded (fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    if ((err as { code?: string }).code !== 'ACME_ERR_BAD_DER') throw err
  }
}

t.test('certIdOf a real certificate matches openssl', async t => {
  const { stdout } = await promisify(execFile)('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-noout', '-serial', '-ext', 'authorityKeyIdentifier'])
  const aki = /Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(stdout)![1].replaceAll(':', '')
  const [akiPart, serialPart] = certIdOf(der).split('.')
  t.equal(Buffer.from(akiPart, 'base64url').toString('hex').toUpperCase(), aki)
  t.equal(BigInt(`0x${Buffer.from(serialPart, 'base64url').toString('hex')}`), BigInt(`0x${cert.serialNumber}`))
})

t.test('certIdOf: random bytes give ACME_ERR_BAD_DER only', async t => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), bytes => { onlyCoded(() => certIdOf(bytes)) }),
    { interruptAfterTimeLimit: 3000, numRuns: 200_000 })
  t.throws(() => certIdOf(new Uint8Array()), { code: 'ACME_ERR_BAD_DER' })
  t.throws(() => certIdOf(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])), { code: 'ACME_ERR_BAD_DER' }, 'a 4 GiB length is refused, not awaited')
})

t.test('certIdOf: mutated and truncated certificates give a certID or ACME_ERR_BAD_DER', async t => {
  fc.assert(fc.property(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(der.length), (at, value, cut) => {
    const copy = Uint8Array.from(der)
    copy[at] = value
    onlyCoded(() => {
      const id = certIdOf(copy.subarray(0, cut))
      if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(id)) throw new Error(`bad certID ${id}`)
    })
  }), { interruptAfterTimeLimit: 3000, numRuns: 200_000 })
  t.pass()
})

t.test('parseWindow: any text gives a valid window or undefined', async t => {
  const windowish = fc.record({ suggestedWindow: fc.record({ start: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map(d => d.toISOString())), end: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map(d => d.toISOString())) }) })
  fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), windowish.map(w => JSON.stringify(w))), text => {
    const w = parseWindow(text)
    if (w !== undefined && !(w.end > w.start)) throw new Error('invalid window accepted')
    if (w !== undefined) {
      const at = pickInWindow(w)
      if (at < w.start || at > w.end) throw new Error('pick outside window')
    }
  }), { interruptAfterTimeLimit: 3000, numRuns: 100_000 })
  t.same(parseWindow('{"suggestedWindow":{"start":"2026-01-01T00:00:00Z","end":"2026-01-02T00:00:00Z"}}'), { start: Date.parse('2026-01-01T00:00:00Z'), end: Date.parse('2026-01-02T00:00:00Z') })
  t.equal(parseWindow('{"suggestedWindow":{"start":"2026-01-02T00:00:00Z","end":"2026-01-01T00:00:00Z"}}'), undefined, 'end before start')
  t.equal(parseWindow('null'), undefined)
})
