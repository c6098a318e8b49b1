// Processes end when asked, even when nobody reads their logs any more; npm start works.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { ROOT, keygen, writeConfig } from './harness/proc.ts'
import { curlText } from './harness/zone.ts'

t.test('SIGTERM stops a gateway whose stdout reader has gone away', async t => {
  const dir = t.testdir()
  const key = await keygen(dir, 'gw')
  const cfg = await writeConfig(dir, 'gw', { role: 'gateway', device: { key: key.file }, stacks: [{ id: 'x', listen: '127.0.0.1:0', forward: 'tcp://127.0.0.1:9' }] })
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'src/bin/zonegate.ts'), 'gateway', '-c', cfg], { stdio: ['ignore', 'pipe', 'ignore'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  await once(child.stdout!, 'data')
  child.stdout!.destroy() // the reader is gone: every later log line hits a broken pipe
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  const [code, signal] = await exited
  clearTimeout(timer)
  t.not(signal, 'SIGKILL', `exited by itself (code ${code}, signal ${signal})`)
})

t.test('npm start: the demo comes up, answers through the relay, and stops on SIGINT', async t => {
  const demo = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'scripts/demo.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (demo.exitCode === null) demo.kill('SIGKILL') })
  let out = ''
  demo.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no demo banner within 30 s: ${out}`)), 30_000)
    demo.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /curl (http:\/\/127\.0\.0\.1:\d+)\/hello/.exec(out)
      if (m != null) { clearTimeout(timer); resolve(m[1]) }
    })
  })
  const r = await curlText(`${url}/hello`, 15)
  t.equal(r.code, 0, r.stderr)
  t.match(r.body, /Hello from the "hello" service on the home machine: \/hello/, 'found by discovery, reached through the SN')
  const about = await curlText(`${url}/about`, 15)
  t.match(about.body, /answered by the remote gateway itself/, 'the demo\'s chain answers /about itself')
  const exited = once(demo, 'exit')
  demo.kill('SIGINT')
  const [code] = await exited
  t.equal(code, 0, 'the demo stopped cleanly with its gateways')
})
