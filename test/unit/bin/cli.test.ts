// The zonegate command as a user runs it: a real process, its output and its exit code.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { stat, readFile, writeFile } from 'node:fs/promises'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const NODE = join(ROOT, 'node_modules', '.bin', 'node')
const ARGS = ['--disable-warning=ExperimentalWarning', join(ROOT, 'src', 'bin', 'zonegate.ts')]

interface Run { code: number, stdout: string, stderr: string }

function zonegate (...args: string[]): Promise<Run> {
  return new Promise(resolve => {
    execFile(NODE, [...ARGS, ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err == null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr })
    })
  })
}

type Assert = Pick<typeof t, 'equal' | 'match'>

const oneLine = (t: Assert, r: Run, pattern: RegExp): void => {
  t.equal(r.stderr.split('\n').filter(Boolean).length, 1, `one line: ${r.stderr}`)
  t.match(r.stderr, pattern)
  t.equal(r.stdout, '')
}

t.test('--help and help COMMAND print usage on stdout', async t => {
  for (const args of [['--help'], ['-h'], ['help']]) {
    const r = await zonegate(...args)
    t.equal(r.code, 0)
    t.match(r.stdout, /^Usage: zonegate COMMAND/)
    for (const cmd of ['gateway', 'sn', 'validate', 'keygen']) t.match(r.stdout, cmd)
  }
  for (const cmd of ['gateway', 'sn', 'validate', 'keygen']) {
    const r = await zonegate('help', cmd)
    t.equal(r.code, 0)
    t.match(r.stdout, new RegExp(`^Usage: zonegate ${cmd} `))
    t.same(await zonegate(cmd, '--help'), r, `${cmd} --help is the same`)
  }
})

t.test('--version prints the package version', async t => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  const r = await zonegate('--version')
  t.same(r, { code: 0, stdout: pkg.version + '\n', stderr: '' })
})

t.test('usage errors: one line on stderr, exit 2', async t => {
  const cases: Array<[string[], RegExp]> = [
    [['--bogus'], /^zonegate: unknown option '--bogus'/],
    [['frobnicate'], /^zonegate: unknown command 'frobnicate'/],
    [['validate', '--bogus'], /^zonegate: unknown option '--bogus'/],
    [['validate', '-c'], /^zonegate: option '-c, --config <value>' argument missing/],
    [['validate'], /^zonegate: validate needs -c FILE/],
    [['gateway'], /^zonegate: gateway needs -c FILE/],
    [['keygen'], /^zonegate: keygen needs --out FILE/],
    [['validate', '-c', 'a.yaml', 'extra'], /^zonegate: unexpected argument 'extra'/],
    [['validate', '-c', 'a.yaml', '--role', 'x'], /^zonegate: --role must be gateway or sn/],
    [['help', 'frobnicate'], /^zonegate: unknown command 'frobnicate'/]
  ]
  for (const [args, pattern] of cases) {
    const r = await zonegate(...args)
    t.equal(r.code, 2, args.join(' '))
    oneLine(t, r, pattern)
  }
  const bare = await zonegate()
  t.equal(bare.code, 2, 'no command: usage on stderr')
  t.match(bare.stderr, /^Usage: zonegate/)
})

t.test('a missing config file: one line, exit 2', async t => {
  for (const cmd of ['validate', 'gateway', 'sn']) {
    const r = await zonegate(cmd, '-c', '/nonexistent/zonegate.yaml')
    t.equal(r.code, 2, cmd)
    oneLine(t, r, /^zonegate: cannot read config file \/nonexistent\/zonegate\.yaml: ENOENT/)
  }
})

t.test('validate: ok, or every problem with line:col and exit 1', async t => {
  const dir = t.testdir({
    'good.yaml': 'role: gateway\ndevice: { key: k.pem }\n',
    'norole.yaml': 'device: { key: k.pem }\nrtcp: { listen: ["127.0.0.1:0"] }\n',
    'bad.yaml': 'role: gateway\ndevice: { key: k.pem }\nrtcp:\n  lisen: []\n  peers:\n    sn: { did: abc }\n'
  })
  const good = join(dir, 'good.yaml')
  t.same(await zonegate('validate', '-c', good), { code: 0, stdout: `${good}: ok\n`, stderr: '' })
  const bad = join(dir, 'bad.yaml')
  const r = await zonegate('validate', '-c', bad)
  t.equal(r.code, 1)
  t.equal(r.stdout, '')
  t.same(r.stderr.trimEnd().split('\n'), [
    `${bad}:4:3 rtcp.lisen: unknown key "lisen"; did you mean "listen"?`,
    `${bad}:6:16 rtcp.peers.sn.did: must be a did:dev:<base64url> string, got "abc"`
  ])
  const g = await zonegate('gateway', '-c', bad)
  t.equal(g.code, 1, 'gateway refuses to start on an invalid config')
  t.equal(g.stderr, r.stderr, 'with the same report')
  t.equal((await zonegate('validate', '-c', join(dir, 'norole.yaml'))).code, 1, 'no role key')
  t.equal((await zonegate('validate', '-c', join(dir, 'norole.yaml'), '--role', 'sn')).code, 0, '--role gives it')
  const files = await zonegate('validate', '-c', good, '--check-files')
  t.equal(files.code, 1)
  t.match(files.stderr, `${good}:2:16 device.key: cannot read key file`)
})

t.test('keygen writes a 0600 key, prints its did, refuses to overwrite', async t => {
  const file = join(t.testdir(), 'keys', 'home.pem')
  const r = await zonegate('keygen', '--out', file)
  t.equal(r.code, 0)
  t.match(r.stdout, /^did:dev:[A-Za-z0-9_-]{43}\n$/)
  t.equal((await stat(file)).mode & 0o777, 0o600)
  const again = await zonegate('keygen', '--out', file)
  t.equal(again.code, 1)
  oneLine(t, again, /already exists; use --force/)
  const forced = await zonegate('keygen', '-o', file, '--force')
  t.equal(forced.code, 0)
  t.not(forced.stdout, r.stdout, 'a new key')
})

t.test('gateway: runs, logs JSON, and stops cleanly on SIGTERM', async t => {
  const dir = t.testdir()
  const key = join(dir, 'gw.pem')
  const did = (await zonegate('keygen', '--out', key)).stdout.trim()
  const config = join(dir, 'gw.yaml')
  await writeFile(config, 'role: gateway\ndevice: { key: gw.pem }\nlog: { level: debug }\nstacks:\n  - { id: web, listen: "127.0.0.1:0", forward: "tcp://127.0.0.1:9" }\n')
  const child = spawn(NODE, [...ARGS, 'gateway', '-c', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode == null) child.kill('SIGKILL') })
  const lines: Array<Record<string, unknown>> = []
  const started = new Promise<void>(resolve => {
    createInterface({ input: child.stdout }).on('line', text => {
      const line = JSON.parse(text) as Record<string, unknown>
      lines.push(line)
      if (line.msg === 'gateway started') resolve()
    })
  })
  await started
  t.ok(lines.some(l => l.msg === 'gateway started' && l.did === did), 'the started line names our did')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0)
  t.ok(lines.some(l => l.msg === 'stopped'), 'logged that it stopped')
})

t.test('a gateway that cannot start says why and exits 1', async t => {
  const dir = t.testdir({ 'gw.yaml': 'role: gateway\ndevice: { key: missing.pem }\n' })
  const r = await zonegate('gateway', '-c', join(dir, 'gw.yaml'))
  t.equal(r.code, 1)
  t.match(r.stderr, /^zonegate: gateway could not start: cannot read key file .*missing\.pem: ENOENT\n$/)
  t.match(r.stdout, /"msg":"start failed"/)
})

t.test('bin/zonegate runs the command with the project\'s Node', async t => {
  const r = await new Promise<Run>(resolve => {
    execFile(join(ROOT, 'bin', 'zonegate'), ['--version'], { cwd: '/' }, (err, stdout, stderr) => {
      resolve({ code: err == null ? 0 : Number(err.code), stdout, stderr })
    })
  })
  t.equal(r.code, 0)
  t.match(r.stdout, /^\d+\.\d+\.\d+\n$/)
  t.equal(r.stderr, '', 'no experimental-feature warnings')
})
