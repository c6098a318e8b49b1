// `zonegate sysconfig -c FILE`: the zone's system-config service as a process of its own, on
// serve.listen; its data survives a restart; without serve.listen the command says what to add.
import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zonegate, zonegateRun, keygen, writeConfig, freePort } from './harness/proc.ts'
import { loadDeviceKey } from '../src/identity/key-file.ts'
import { signJwt } from '../src/identity/jwt.ts'
import { createSysConfigClient } from '../src/sysconfig/client.ts'

const ZONE = 'solo.test'

t.test('zonegate sysconfig serves the RPC, keeps its data, and refuses a file with nothing to serve', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'zonegate-sysconfig-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const [owner, dev, stranger] = await Promise.all(['owner', 'dev', 'stranger'].map(async n => await keygen(dir, n)))
  const port = await freePort()
  const file = await writeConfig(dir, 'sysconfig', {
    role: 'gateway',
    device: { key: dev.file },
    sysconfig: { zone: ZONE, owner: owner.did, node: 'n1', serve: { backend: 'sqlite', file: 'state/sysconfig.db', listen: `127.0.0.1:${port}` } }
  })
  const url = `http://127.0.0.1:${port}/kapi/system_config`
  const clientOf = async (keyFile: string): Promise<ReturnType<typeof createSysConfigClient>> => {
    const key = await loadDeviceKey(keyFile)
    return createSysConfigClient({ url, token: async () => await signJwt(key, {}, { audience: ZONE, ttlSeconds: 60 }) })
  }
  let p = zonegate(t, 'sysconfig', ['sysconfig', '-c', file])
  await p.waitFor(l => l.msg === 'listening' && l.role === 'sysconfig')
  const root = await clientOf(owner.file)
  const rev = await root.set('users/alice/settings', '{"theme":"dark"}')
  t.ok(rev > 0)
  t.equal((await root.get('users/alice/settings'))?.value, '{"theme":"dark"}')
  const outsider = await clientOf(stranger.file)
  await t.rejects(outsider.get('users/alice/settings'), { code: 'SYSCFG_ERR_AUTH' }, 'a key the zone does not know is refused')
  await p.stop()
  p = zonegate(t, 'sysconfig-again', ['sysconfig', '-c', file])
  await p.waitFor(l => l.msg === 'listening' && l.role === 'sysconfig')
  const after = await root.get('users/alice/settings')
  t.equal(after?.value, '{"theme":"dark"}', 'the data survived the restart')
  t.equal(after?.revision, rev, 'with its revision')

  const bare = await writeConfig(dir, 'bare', { role: 'gateway', device: { key: dev.file } })
  const r = await zonegateRun(['sysconfig', '-c', bare]).then(() => undefined, (err: { code?: number, stderr?: string }) => err)
  t.equal(r?.code, 1)
  t.match(r?.stderr, /add sysconfig\.serve\.listen/)
})
