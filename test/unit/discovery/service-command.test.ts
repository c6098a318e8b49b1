// `zonegate service announce`: a real process signing its own device JWTs against the real
// system-config RPC; SIGTERM withdraws its key. Usage errors exit 2 without touching anything.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runServiceCommand, SERVICE_USAGE } from '../../../src/bin/service-command.ts'
import { instanceKey, parseInstanceReport } from '../../../src/discovery/records.ts'
import { startService, ZONE } from '../sysconfig/service/helpers.ts'
import { until } from './helpers.ts'

const CHILD = fileURLToPath(new URL('./service-cli-child.ts', import.meta.url))

async function run (args: string[], signal?: AbortSignal): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await runServiceCommand(args, { out: s => { out += s }, err: s => { err += s }, signal })
  return { code, out, err }
}

t.test('announce runs until SIGTERM, refreshing its report, then deletes it', async t => {
  const svc = await startService(t)
  const dir = await mkdtemp(join(tmpdir(), 'zg-svc-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const keyFile = join(dir, 'node1.pem')
  await writeFile(keyFile, svc.keys.node1.signingKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 })

  const child = spawn(process.execPath, [CHILD, 'announce', '--sysconfig', svc.url, '--token-key', keyFile, '--zone', ZONE,
    '--service', 'web', '--node', 'node1', '--port', 'http=8080', '--port', 'admin=9000', '--ttl', '3s', '--log-level', 'warn'],
  { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill() })
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr.on('data', (c: Buffer) => { err += c.toString() })
  const exited = once(child, 'exit')

  const key = instanceKey('web', 'node1')
  await until(async () => (await svc.store.get(key)) !== undefined, 10_000, 'the report appears')
  const first = (await svc.store.get(key))!
  const report = parseInstanceReport(first.value)
  t.same(report.ports, { http: 8080, admin: 9000 })
  t.equal(report.pid, child.pid)
  t.ok(report.expires_at > Date.now() + 1000 && report.expires_at <= Date.now() + 3000, 'ttl 3 s')
  await until(async () => (await svc.store.get(key))!.revision > first.revision, 5000, 'refreshed within ttl/3')
  await until(() => out.includes('announced services/web/instances/node1'), 5000, 'announced line')

  child.kill('SIGTERM')
  const [code] = await exited
  t.equal(code, 0, `exit 0 (stderr: ${err})`)
  t.equal(await svc.store.get(key), undefined, 'the key is deleted on the way out')
  t.match(out, /withdrew services\/web\/instances\/node1/)
})

t.test('an abort signal ends it like a signal; a refused write exits 1', async t => {
  const svc = await startService(t)
  const dir = await mkdtemp(join(tmpdir(), 'zg-svc-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const keyFile = join(dir, 'node2.pem')
  await writeFile(keyFile, svc.keys.node2.signingKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 })
  const base = ['announce', '--sysconfig', svc.url, '--token-key', keyFile, '--zone', ZONE, '--service', 'web', '--port', 'http=80', '--log-level', 'silent']

  const ac = new AbortController()
  const running = run([...base, '--node', 'node2'], ac.signal)
  await until(async () => (await svc.store.get(instanceKey('web', 'node2'))) !== undefined, 5000)
  ac.abort()
  const r = await running
  t.equal(r.code, 0)
  t.equal(await svc.store.get(instanceKey('web', 'node2')), undefined)

  // node2's key may not write node1's instance.
  const refused = await run([...base, '--node', 'node1'])
  t.equal(refused.code, 1)
  t.match(refused.err, /SYSCFG_ERR_FORBIDDEN/)
})

t.test('usage errors exit 2', async t => {
  t.equal((await run([])).code, 2)
  const help = await run(['--help'])
  t.equal(help.code, 0)
  t.equal(help.out, SERVICE_USAGE)
  t.equal((await run(['frobnicate'])).code, 2)
  const common = ['announce', '--sysconfig', 'http://127.0.0.1:1/', '--token-key', '/nonexistent', '--zone', 'z', '--service', 'web', '--node', 'n']
  for (const [extra, why] of [
    [[], /--port/],
    [['--port', 'http'], /NAME=PORT/],
    [['--port', 'http=70000'], /NAME=PORT/],
    [['--port', 'http=80', '--ttl', '30'], /duration/],
    [['--port', 'http=80', '--weight', '0'], /weight/],
    [['--port', 'http=80', '--bogus'], /unknown option/i],
    [['--port', 'http=80', '--log-level', 'loud'], /log-level/]
  ] as const) {
    const r = await run([...common, ...extra])
    t.equal(r.code, 2, extra.join(' '))
    t.match(r.err, why)
  }
  const badKey = await run([...common, '--port', 'http=80'])
  t.equal(badKey.code, 2, 'an unreadable key file is an input error')
  t.match(badKey.err, /ID_ERR_KEY_FILE_READ/)
})
