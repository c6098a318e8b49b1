// Every example config under configs/ must be valid: the docs point people at them.
import t from 'tap'
import { readdir, readFile } from 'node:fs/promises'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { validateConfigFile, loadConfig, checkConfigText } from '../../../src/config/load.ts'
import { formatProblem } from '../../../src/config/errors.ts'

const CONFIGS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'configs')

t.test('every configs/*.yaml validates', async t => {
  const files = (await readdir(CONFIGS)).filter(f => f.endsWith('.yaml')).sort()
  t.ok(files.length >= 3, `found ${files.join(', ')}`)
  for (const f of files) {
    const file = join(CONFIGS, f)
    const problems = await validateConfigFile(file)
    t.same(problems.map(formatProblem), [], f)
    const config = await loadConfig(file)
    t.equal(dirname(config.device.keyFile), join(CONFIGS, 'keys'), `${f}: its key lives under configs/keys/`)
  }
})

t.test('the examples fit together: one SN, a home and a remote gateway', async t => {
  const sn = await loadConfig(join(CONFIGS, 'sn.yaml'), 'sn')
  const home = await loadConfig(join(CONFIGS, 'gateway-home.yaml'), 'gateway')
  const remote = await loadConfig(join(CONFIGS, 'gateway-remote.yaml'), 'gateway')
  const didOf = (c: typeof sn, name: string): string | undefined => c.rtcp.peers.find(p => p.name === name)?.did
  t.equal(didOf(home, 'sn'), didOf(remote, 'sn'), 'both gateways name the same SN')
  t.equal(didOf(sn, 'home'), didOf(remote, 'home'))
  t.equal(didOf(sn, 'remote'), didOf(home, 'remote'))
  t.same(home.rtcp.peers.find(p => p.name === 'sn')?.addrs, sn.rtcp.listen, 'gateways dial where the SN listens')
  t.equal(home.rtcp.listen.length, 0, 'home only dials out')
  t.ok(remote.role === 'gateway' && remote.chains.some(c => c.routes.some(r => r.process.kind === 'forward' && r.process.group.upstreams.some(u => u.url.startsWith('rtcp://home/')))), 'remote forwards to home')
})

t.test('the full example in docs/config.md is valid', async t => {
  const doc = await readFile(join(CONFIGS, '..', 'docs', 'config.md'), 'utf8')
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map(m => m[1]).filter(b => b.startsWith('role:'))
  t.ok(blocks.length >= 1)
  for (const b of blocks) t.same(checkConfigText(b, 'docs/config.md').problems.map(formatProblem), [])
})
