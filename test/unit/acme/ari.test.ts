// ACME Renewal Information. Debian's pebble 2.4 has no renewalInfo resource (checked below), so a
// small in-test HTTP server serves the directory (pebble's, plus `renewalInfo`) and the
// renewalInfo answers; every other ACME request goes to pebble itself.
import t from 'tap'
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { X509Certificate } from 'node:crypto'
import { pino } from 'pino'
import { createAcmeManager, fileStateStore } from '../../../src/acme/index.ts'
import { certIdOf } from '../../../src/acme/cert-id.ts'
import { startChallTestSrv, startPebble, challDns01Solver } from '../../helpers/pebble.ts'

const chall = await startChallTestSrv()
const pebble = await startPebble({ dnsServer: chall.dnsServer })
const work = await mkdtemp(join(tmpdir(), 'acme-ari-'))
t.teardown(async () => { await pebble.stop(); await chall.stop(); await rm(work, { recursive: true, force: true }) })

const pebbleDirectory = await new Promise<Record<string, unknown>>((resolve, reject) => {
  request(pebble.directoryUrl, { ca: pebble.caPem }, res => {
    let body = ''
    res.on('data', (c: Buffer) => { body += c.toString() })
    res.on('end', () => { resolve(JSON.parse(body) as Record<string, unknown>) })
  }).on('error', reject).end()
})

let window = { start: new Date(Date.now() + 10 * 86400_000), end: new Date(Date.now() + 11 * 86400_000) }
const asked: string[] = []
const server = createServer((req, res) => {
  if (req.url === '/dir') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...pebbleDirectory, renewalInfo: `http://127.0.0.1:${port}/renewal-info/` }))
    return
  }
  const certId = /^\/renewal-info\/([A-Za-z0-9_.-]+)$/.exec(req.url ?? '')?.[1]
  if (certId === undefined) { res.writeHead(404).end(); return }
  asked.push(certId)
  res.writeHead(200, { 'content-type': 'application/json', 'retry-after': '3600' })
    .end(JSON.stringify({ suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() } }))
})
server.listen(0, '127.0.0.1')
await once(server, 'listening')
const port = (server.address() as { port: number }).port
t.teardown(() => server.close())

/** certID computed by openssl, independently of our DER walker. */
async function opensslCertId (pem: string): Promise<string> {
  const file = join(work, 'leaf.pem')
  await writeFile(file, pem)
  const { stdout } = await promisify(execFile)('openssl', ['x509', '-in', file, '-noout', '-serial', '-ext', 'authorityKeyIdentifier'])
  const serialHex = /serial=([0-9A-F]+)/.exec(stdout)![1]
  const akiHex = /Authority Key Identifier:\s*\n\s*(?:keyid:)?([0-9A-F:]+)/.exec(stdout)![1].replaceAll(':', '')
  let serial = Buffer.from(serialHex.length % 2 === 1 ? `0${serialHex}` : serialHex, 'hex')
  if (serial[0] >= 0x80) serial = Buffer.concat([Buffer.from([0]), serial]) // DER INTEGER content octets
  return `${Buffer.from(akiHex, 'hex').toString('base64url')}.${serial.toString('base64url')}`
}

t.test('pebble 2.4 offers no renewalInfo (hence the in-test handler)', async t => {
  t.equal(pebbleDirectory.renewalInfo, undefined)
})

t.test('ARI window sets the renewal time; a window in the past renews with `replaces`', async t => {
  const dir = join(work, 'state')
  const lines: Array<Record<string, unknown>> = []
  let offset = 0
  const manager = createAcmeManager({
    directoryUrl: `http://127.0.0.1:${port}/dir`,
    caBundle: pebble.caPem,
    certificates: [{ id: 'ari', names: ['ari.test'], challenge: 'dns-01' }],
    state: fileStateStore(dir),
    dns01: challDns01Solver(chall),
    logger: pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>) } }),
    now: () => Date.now() + offset
  })
  t.teardown(() => manager.stop())
  await manager.ensure()
  const firstPem = fileStateStore(dir).get('cert/ari/chain')!
  const first = new X509Certificate(firstPem)
  t.equal(asked.length, 0, 'no ARI question before there is a certificate')

  await manager.ensure() // asks ARI: the window is 10 days out, nothing to do yet
  const expected = await opensslCertId(firstPem)
  t.same(asked, [expected], 'certID as RFC 9773 §4.1 (checked against openssl)')
  t.equal(certIdOf(first.raw), expected)
  const renewAt = Date.parse(manager.status()[0].renewAt!)
  t.ok(renewAt >= window.start.getTime() && renewAt <= window.end.getTime(), 'renewAt inside the suggested window')
  t.notOk(Date.parse(manager.status()[0].renewAt!) === Date.parse(first.validTo) - (Date.parse(first.validTo) - Date.parse(first.validFrom)) / 3)
  await manager.ensure()
  t.equal(asked.length, 1, 'Retry-After respected: not asked again within the hour')

  // The CA moves the window into the past (e.g. a revocation coming): renew now.
  window = { start: new Date(Date.now() - 2 * 86400_000), end: new Date(Date.now() - 86400_000) }
  offset = 2 * 3600_000
  let issued = 0
  manager.on('issued', () => { issued++ })
  await manager.ensure()
  t.equal(asked.length, 2)
  t.equal(manager.status()[0].lastError, undefined)
  t.equal(issued, 1)
  const created = lines.filter(l => l.msg === 'acme order created')
  t.equal(created.length, 2)
  t.equal(created[0].replaces, undefined, 'a first order replaces nothing')
  t.equal(created[1].replaces, expected, 'the renewal names the certificate it replaces')
  const second = new X509Certificate(fileStateStore(dir).get('cert/ari/chain')!)
  t.not(second.serialNumber, first.serialNumber)
})
