// `zonegate zone …` in-process (runZoneCommand with captured output) against the fake SN.
import t from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyFile } from '../../../src/identity/key-file.ts'
import { runZoneCommand, ZONE_USAGE } from '../../../src/bin/zone-command.ts'
import { startFakeSn, type TestLike } from './fake-sn.ts'

async function run (args: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await runZoneCommand(args, { out: text => { out += text }, err: text => { err += text } })
  return { code, out, err }
}

async function setup (t: TestLike) {
  const dir = t.testdir()
  const sn = await startFakeSn(dir)
  t.teardown(() => sn.close())
  const caFile = join(dir, 'sn-ca.pem')
  await writeFile(caFile, sn.ca)
  const ownerFile = join(dir, 'owner.pem')
  const owner = await generateKeyFile(ownerFile)
  const laptop = await generateKeyFile(join(dir, 'laptop.pem'))
  const phone = await generateKeyFile(join(dir, 'phone.pem'))
  // --audience defaults to the URL's host (sn.test); the URL's host does not resolve, so dial loopback.
  const common = ['--sn', sn.url, '--ca', caFile, '--connect-to', `127.0.0.1:${sn.port}`]
  return { dir, sn, caFile, ownerFile, owner, laptop, phone, common }
}

t.test('usage: help, unknown commands and options, missing flags exit 2', async t => {
  t.same(await run([]), { code: 2, out: '', err: ZONE_USAGE })
  t.same(await run(['--help']), { code: 0, out: ZONE_USAGE, err: '' })
  t.same(await run(['show', '-h']), { code: 0, out: ZONE_USAGE, err: '' })
  let r = await run(['frobnicate'])
  t.same([r.code, r.err], [2, `zonegate zone: unknown zone command 'frobnicate' (see "zonegate zone --help")\n`])
  r = await run(['show', '--sn', 'https://sn.test', '--zone', 'a.sn.test', '--bogus'])
  t.equal(r.code, 2)
  t.match(r.err, /show: unknown option '--bogus'/)
  r = await run(['register', '--sn', 'https://sn.test', '--name', 'alice', '--owner', 'x.pem'])
  t.same([r.code, r.err], [2, 'zonegate zone: register needs --invite CODE (see "zonegate zone --help")\n'])
  r = await run(['show', '--zone', 'a.sn.test'])
  t.match(r, { code: 2, err: /show needs --sn URL/ })
  r = await run(['show', '--sn', 'ftp://sn.test', '--zone', 'a.sn.test'])
  t.match(r, { code: 2, err: /--sn must be an https:\/\/ URL/ })
  r = await run(['show', '--sn', 'https://sn.test', '--zone', 'nodots'])
  t.match(r, { code: 2, err: /--zone must be a zone name/ })
  r = await run(['show', '--sn', 'https://sn.test', '--zone', 'a.sn.test', '--connect-to', 'nope'])
  t.match(r, { code: 2, err: /--connect-to must be HOST:PORT/ })
  r = await run(['show', '--sn', 'https://sn.test', '--zone', 'a.sn.test', '--timeout', '0'])
  t.match(r, { code: 2, err: /--timeout must be a positive number/ })
  r = await run(['show', '--sn', 'https://sn.test', '--zone', 'a.sn.test', '--ca', '/nonexistent/ca.pem'])
  t.match(r, { code: 2, err: /cannot read --ca \/nonexistent\/ca.pem: ENOENT/ })
  r = await run(['add-device', '--sn', 'https://sn.test', '--zone', 'a.sn.test', '--owner', 'o.pem', '--device', 'did:dev:short', '--name', 'x'])
  t.match(r, { code: 2, err: /--device must be a did:dev/ })
  r = await run(['register', '--sn', 'https://sn.test', '--invite', 'i', '--name', 'Bad_Label', '--owner', 'o.pem'])
  t.match(r, { code: 2, err: /--name: zone label "Bad_Label"/ })
  r = await run(['remove-device', '--sn', 'https://sn.test', '--zone', 'a.sn.test', '--owner', 'o.pem'])
  t.match(r, { code: 2, err: /remove-device needs --device DID or --name NAME/ })
  const sc = ['--sysconfig', 'http://127.0.0.1:1/kapi/system_config', '--zone', 'a.sn.test', '--owner', 'o.pem']
  r = await run(['add-device', ...sc, '--sn', 'https://sn.test', '--device', 'did:dev:x3bN33l_3h7mbgDGxZy1vnx0gVwJ2DQro_eKqzD7tBo', '--name', 'x'])
  t.match(r, { code: 2, err: /give --sn or --sysconfig, not both/ })
  r = await run(['add-device', ...sc, '--name', 'x'])
  t.match(r, { code: 2, err: /add-device needs --device DID/ })
  r = await run(['remove-device', ...sc])
  t.match(r, { code: 2, err: /remove-device needs --device DID or --name NAME/ })
  r = await run(['add-device', ...sc.slice(0, 2), '--zone', 'nodots', '--owner', 'o.pem', '--device', 'did:dev:x3bN33l_3h7mbgDGxZy1vnx0gVwJ2DQro_eKqzD7tBo', '--name', 'x'])
  t.match(r, { code: 2, err: /--zone must be a zone name/ })
})

t.test('add-device --sysconfig: an unreachable system-config exits 1 with a coded error', async t => {
  const dir = t.testdir()
  const ownerFile = join(dir, 'owner.pem')
  await generateKeyFile(ownerFile)
  const { closedPort } = await import('../../helpers/free-port.ts')
  const r = await run(['add-device', '--sysconfig', `http://127.0.0.1:${await closedPort()}/kapi/system_config`, '--zone', 'a.sn.test', '--owner', ownerFile,
    '--device', 'did:dev:x3bN33l_3h7mbgDGxZy1vnx0gVwJ2DQro_eKqzD7tBo', '--name', 'laptop', '--timeout', '2000'])
  t.equal(r.code, 1)
  t.match(r.err, /^zonegate zone: SYSCFG_ERR_/)
})

t.test('register, add, replace and remove devices, show', async t => {
  const { sn, ownerFile, owner, laptop, phone, common } = await setup(t)
  t.same(await run(['register', ...common, '--invite', 'invite-1', '--name', 'alice', '--owner', ownerFile]), { code: 0, out: 'alice.sn.test\n', err: '' })
  t.equal(sn.zones.get('alice.sn.test')?.owner, owner.did)

  let r = await run(['register', ...common, '--invite', 'invite-1', '--name', 'alice', '--owner', ownerFile])
  t.same([r.code, r.out, r.err], [1, '', 'zonegate zone: the SN refused (HTTP 409): SN_ERR_ZONE_TAKEN: zone alice.sn.test is taken\n'])

  const zoneArgs = [...common, '--zone', 'alice.sn.test', '--owner', ownerFile]
  r = await run(['add-device', ...zoneArgs, '--device', laptop.did, '--name', 'laptop'])
  t.equal(r.code, 0, r.err)
  t.match(r.out, new RegExp(`^zone alice.sn.test \\(active\\) version \\d+\\ndevices:\\n  laptop  ${laptop.did}\\n$`))
  const v1 = sn.zones.get('alice.sn.test')!.version
  t.ok(v1 > 0)

  r = await run(['add-device', ...zoneArgs, '--device', phone.did, '--name', 'phone'])
  t.equal(r.code, 0, r.err)
  t.ok(sn.zones.get('alice.sn.test')!.version > v1, 'each change bumps the version')
  t.same(sn.zones.get('alice.sn.test')!.devices, [{ name: 'laptop', did: laptop.did }, { name: 'phone', did: phone.did }])

  // The same device under a new name replaces its entry.
  r = await run(['add-device', ...zoneArgs, '--device', laptop.did, '--name', 'work-laptop'])
  t.same(sn.zones.get('alice.sn.test')!.devices, [{ name: 'phone', did: phone.did }, { name: 'work-laptop', did: laptop.did }])

  // When the SN tells the stored version, the next one is above it even if it is ahead of our clock.
  sn.showVersion = true
  sn.zones.get('alice.sn.test')!.version = Date.now() + 10_000_000
  r = await run(['remove-device', ...zoneArgs, '--name', 'phone'])
  t.equal(r.code, 0, r.err)
  t.same(sn.zones.get('alice.sn.test')!.devices, [{ name: 'work-laptop', did: laptop.did }])

  r = await run(['remove-device', ...zoneArgs, '--device', phone.did])
  t.same([r.code, r.err], [1, `zonegate zone: ZONE_ERR_DEVICE_NOT_LISTED: zone alice.sn.test lists no device ${phone.did}\n`])

  r = await run(['show', ...common, '--zone', 'alice.sn.test'])
  t.match(r, { code: 0, out: new RegExp(`^zone alice.sn.test \\(active\\) version \\d+\\ndevices:\\n  work-laptop  ${laptop.did}\\n$`) })
  r = await run(['show', ...common, '--zone', 'alice.sn.test', '--json'])
  t.match(JSON.parse(r.out), { zone: 'alice.sn.test', active: true, devices: [{ name: 'work-laptop', did: laptop.did }], domains: [] })
  r = await run(['show', ...common, '--zone', 'nobody.sn.test'])
  t.match(r, { code: 1, err: /SN_ERR_NO_ZONE/ })
})

t.test('owner key problems and SN refusals', async t => {
  const { dir, ownerFile, laptop, common } = await setup(t)
  let r = await run(['register', ...common, '--invite', 'invite-1', '--name', 'alice', '--owner', join(dir, 'missing.pem')])
  t.match(r, { code: 2, err: /ID_ERR_KEY_FILE_READ/ })
  await writeFile(join(dir, 'junk.pem'), 'not a key')
  r = await run(['register', ...common, '--invite', 'invite-1', '--name', 'alice', '--owner', join(dir, 'junk.pem')])
  t.match(r, { code: 2, err: /ID_ERR_INVALID_KEY_FILE/ })
  r = await run(['register', ...common, '--invite', 'wrong', '--name', 'alice', '--owner', ownerFile])
  t.match(r, { code: 1, err: /SN_ERR_BAD_INVITE/ })
  t.equal((await run(['register', ...common, '--invite', 'invite-1', '--name', 'alice', '--owner', ownerFile])).code, 0)
  // Another key cannot sign alice's device list.
  r = await run(['add-device', ...common, '--zone', 'alice.sn.test', '--owner', join(dir, 'laptop.pem'), '--device', laptop.did, '--name', 'x'])
  t.match(r, { code: 1, err: /SN_ERR_BAD_TOKEN/ })
  // A wrong audience is refused by the SN's token check.
  r = await run(['add-device', ...common, '--audience', 'other.test', '--zone', 'alice.sn.test', '--owner', ownerFile, '--device', laptop.did, '--name', 'x'])
  t.match(r, { code: 1, err: /SN_ERR_BAD_TOKEN: ID_ERR_TOKEN_AUDIENCE/ })
  // No CA: the self-signed SN is not trusted.
  r = await run(['show', '--sn', common[1], '--connect-to', common[5], '--zone', 'alice.sn.test'])
  t.match(r, { code: 1, err: /ZONE_ERR_UNREACHABLE/ })
})

t.test('bind-domain and verify-domain', async t => {
  const { ownerFile, common } = await setup(t)
  await run(['register', ...common, '--invite', 'invite-1', '--name', 'alice', '--owner', ownerFile])
  const zoneArgs = [...common, '--zone', 'alice.sn.test', '--owner', ownerFile]
  let r = await run(['bind-domain', ...zoneArgs, '--domain', 'Pending.Example'])
  t.same(r, { code: 0, out: 'publish this TXT record, then run "zonegate zone verify-domain":\n  _zonegate-challenge.pending.example TXT "v-15"\n', err: '' })
  r = await run(['verify-domain', ...zoneArgs, '--domain', 'pending.example'])
  t.same(r, { code: 1, out: '', err: 'zonegate zone: pending.example is not verified yet: TXT record not found yet\n' })
  r = await run(['verify-domain', ...zoneArgs, '--domain', 'verified.example'])
  t.same(r, { code: 0, out: 'verified.example is bound to alice.sn.test\n', err: '' })
})
