// Reload: `zonegate reload` and SIGHUP apply a changed config at once; a config that fails changes
// nothing and says why; a long transfer that started before the reload finishes intact.
import t from 'tap'
import { writeFile, readFile } from 'node:fs/promises'
import YAML from 'yaml'
import { chainGateway, curl, markerServer } from './harness/chain.ts'
import { httpService, curlSha256 } from './harness/zone.ts'
import { freePort, zonegateRun } from './harness/proc.ts'

async function reloadCli (file: string): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const r = await zonegateRun(['reload', '-c', file])
    return { code: 0, ...r }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

t.test('reload switches routes, adds and removes stacks, keeps a live transfer, refuses a bad file', async t => {
  const dir = t.testdir()
  const one = await markerServer(t, 'one')
  const two = await markerServer(t, 'two')
  const bulk = await httpService(t)
  const control = `127.0.0.1:${await freePort()}`
  const doc = (target: number, extraStack = false): Record<string, unknown> => ({
    stacks: [
      { id: 'web', listen: '127.0.0.1:0', chain: 'web' },
      { id: 'bulk', listen: '127.0.0.1:0', forward: `tcp://127.0.0.1:${bulk.port}` },
      ...(extraStack ? [{ id: 'extra', listen: '127.0.0.1:0', chain: 'web' }] : [])
    ],
    chains: { web: { probe: ['http'], routes: [{ id: 'site', process: { http_proxy: `tcp://127.0.0.1:${target}` } }] } },
    control: { listen: control }
  })
  const gw = await chainGateway(t, dir, doc(one.port))
  const keyLine = YAML.parse(await readFile(gw.file, 'utf8')).device
  const write = async (d: Record<string, unknown>): Promise<void> => { await writeFile(gw.file, YAML.stringify({ role: 'gateway', device: keyLine, ...d })) }
  t.equal((await curl([`http://${gw.addr.web}/x`])).stdout, 'one /x')

  // A 64 MiB download at 8 MB/s (about 8 s), so that it is still running across both reloads.
  const transfer = curlSha256(`http://${gw.addr.bulk}/big?mib=64`, 60, ['--limit-rate', '8M'])
  const startedAt = performance.now()
  await new Promise(resolve => setTimeout(resolve, 300))

  // 1. Point the route elsewhere and add a stack.
  await write(doc(two.port, true))
  const r1 = await reloadCli(gw.file)
  t.equal(r1.code, 0, r1.stderr)
  t.match(r1.stdout, /reloaded: started \[extra\], stopped \[\], updated \[web,bulk\]/)
  t.equal((await curl([`http://${gw.addr.web}/y`])).stdout, 'two /y', 'new connections take the new route')
  const extra = await gw.proc.listening({ stack: 'extra' })
  t.equal((await curl([`http://${extra.host}/z`])).stdout, 'two /z', 'the new stack serves')

  // 2. A broken file changes nothing and says where it is broken.
  await writeFile(gw.file, (await readFile(gw.file, 'utf8')).replace('http_proxy:', 'http_proxi:'))
  const r2 = await reloadCli(gw.file)
  t.equal(r2.code, 1)
  t.match(r2.stderr, /reload refused, nothing changed/)
  t.match(r2.stderr, /gw\.yaml:\d+:\d+ chains\.web\.routes\[0\]\.process\.http_proxi: unknown key "http_proxi"; did you mean "http_proxy"\?/)
  t.equal((await curl([`http://${gw.addr.web}/still`])).stdout, 'two /still', 'the old rules still apply')

  // 3. SIGHUP with the extra stack removed: it stops listening.
  await write(doc(one.port, false))
  const since = gw.proc.lines.length
  process.kill(gw.proc.pid, 'SIGHUP')
  const done = await gw.proc.waitFor(l => l.msg === 'reloaded', 15_000, since)
  t.same(done.stopped, ['extra'])
  t.equal((await curl([`http://${gw.addr.web}/back`])).stdout, 'one /back')
  const gone = await curl([`http://${extra.host}/`])
  t.equal(gone.code, 7, 'the removed stack refuses connections')

  // status, through the same control API: stacks, open connections, routes, upstream health.
  const st = await zonegateRun(['status', '-c', gw.file])
  const status = JSON.parse(st.stdout) as { stacks: Array<{ id: string, active: number }>, chains: Array<{ name: string, routes: Array<{ id: string, action: string, upstreams?: Array<{ url: string, healthy: boolean }> }> }> }
  t.same(status.stacks.map(s => s.id).sort(), ['bulk', 'web'])
  t.equal(status.stacks.find(s => s.id === 'bulk')?.active, 1, 'the transfer is still open on the bulk stack')
  const site = status.chains.find(c => c.name === 'web')?.routes[0]
  t.match(site, { id: 'site', action: 'http_proxy', upstreams: [{ url: `tcp://127.0.0.1:${one.port}`, healthy: true }] })

  const reloadsDoneMs = performance.now() - startedAt
  const r = await transfer
  t.equal(r.code, 0, r.stderr)
  const totalMs = performance.now() - startedAt
  t.ok(reloadsDoneMs < totalMs - 500, `the reloads (done at ${Math.round(reloadsDoneMs)} ms) happened while the transfer ran (${Math.round(totalMs)} ms)`)
  t.equal(r.sha256, bulk.sha256(64), 'the transfer that spanned both reloads arrived intact')
})
