// npm start: a complete zonegate demonstration on loopback, with no set-up.
// Starts an SN, a "home" gateway that only dials out (as behind NAT) and keeps a tunnel to the
// SN, and serves the zone's system-config (embedded, node:sqlite) and token issuer; a sample HTTP
// service on home's loopback that announces itself in system-config; and a "remote" gateway of
// the same zone whose web stack finds that service by discovery (service://hello) and reaches it
// through the SN over an end-to-end encrypted rtcp tunnel. Prints what to try.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import YAML from 'yaml'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(ROOT, 'src/bin/zonegate.ts')
const dir = mkdtempSync(join(tmpdir(), 'zonegate-demo-'))
const children: ChildProcess[] = []
const out = (s: string): void => { process.stdout.write(s + '\n') }

function zonegate (name: string, args: string[]): { child: ChildProcess, line: (pred: (l: any) => boolean) => Promise<any> } {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  const lines: any[] = []
  const waiters: Array<{ pred: (l: any) => boolean, resolve: (l: any) => void }> = []
  createInterface({ input: child.stdout! }).on('line', text => {
    let l: any
    try { l = JSON.parse(text) } catch { return }
    lines.push(l)
    if (l.level >= 40) out(`  [${name}] ${l.msg}${l.err?.message != null ? `: ${l.err.message}` : ''}`)
    for (const w of [...waiters]) if (w.pred(l)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(l) }
  })
  child.on('exit', code => { if (!stopping) { out(`${name} exited with code ${code}`); void stop(1) } })
  return {
    child,
    line: pred => { const past = lines.find(pred); return past != null ? Promise.resolve(past) : new Promise(resolve => waiters.push({ pred, resolve })) }
  }
}

function keygen (name: string): { file: string, did: string } {
  const file = join(dir, `${name}.pem`)
  const stdout = execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', CLI, 'keygen', '--out', file]).toString()
  return { file, did: /did:dev:[A-Za-z0-9_-]+/.exec(stdout)![0] }
}

function config (name: string, doc: unknown): string {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, YAML.stringify(doc))
  return file
}

async function portOr0 (want: number): Promise<number> {
  const srv = net.createServer()
  return await new Promise(resolve => {
    srv.once('error', () => resolve(0))
    srv.listen(want, '127.0.0.1', () => srv.close(() => resolve(want)))
  })
}

let stopping = false
async function stop (code = 0): Promise<void> {
  if (stopping) return
  stopping = true
  for (const c of children.reverse()) if (c.exitCode === null) { c.kill('SIGTERM'); await once(c, 'exit') }
  rmSync(dir, { recursive: true, force: true })
  process.exit(code)
}
process.on('SIGINT', () => { void stop() })
process.on('SIGTERM', () => { void stop() })

// The sample service, on home's loopback only.
const service = http.createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://x')
  if (u.pathname === '/big') {
    const mib = Math.min(Number(u.searchParams.get('mib') ?? '10'), 1024)
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(mib * 1024 * 1024) })
    const chunk = Buffer.alloc(1024 * 1024, 'z')
    let i = 0
    const more = (): void => { while (i < mib) { i++; if (!res.write(chunk)) { res.once('drain', more); return } } res.end() }
    more()
    return
  }
  res.end(`Hello from the "hello" service on the home machine: ${u.pathname}\n`)
})
service.listen(0, '127.0.0.1')
await once(service, 'listening')
const servicePort = (service.address() as net.AddressInfo).port

const ids = { sn: keygen('sn'), home: keygen('home'), remote: keygen('remote'), owner: keygen('owner') }
const ZONE = 'demo.test'
const snPort = await portOr0(14433) || 0
const sn = zonegate('sn', ['sn', '-c', config('sn', {
  role: 'sn', device: { key: ids.sn.file },
  rtcp: { listen: [`127.0.0.1:${snPort}`], trust: { devices: [ids.home.did, ids.remote.did] } }
})])
const snUrl = new URL((await sn.line(l => l.msg === 'listening' && String(l.url).startsWith('rtcp:'))).url)
const nodePort = await portOr0(3180)
const home = zonegate('home', ['gateway', '-c', config('home', {
  role: 'gateway', device: { key: ids.home.file },
  rtcp: { trust: { devices: ['sn', ids.remote.did] }, peers: { sn: { did: ids.sn.did, addrs: [snUrl.host], keep: true } } },
  // The zone's system-config lives here (one file), with the token issuer.
  sysconfig: { zone: ZONE, owner: ids.owner.did, node: 'home', devices: { remote: ids.remote.did }, serve: { backend: 'sqlite', file: join(dir, 'sysconfig.db') } },
  // The node gateway: /kapi/<svc>/ reaches the zone's services by name.
  stacks: [{ id: 'node', listen: `127.0.0.1:${nodePort}`, chain: 'node' }],
  chains: {
    node: {
      probe: ['http'],
      routes: [
        { id: 'system_config', match: { path_prefix: '/kapi/system_config' }, process: { http_proxy: 'internal://system_config' } },
        { id: 'verify_hub', match: { path_prefix: '/kapi/verify_hub' }, process: { http_proxy: 'internal://verify_hub' } },
        { id: 'kapi', match: { path_prefix: '/kapi/' }, process: { kapi: { strip: true } } }
      ]
    }
  }
})])
const nodeUrl = new URL((await home.line(l => l.msg === 'listening' && l.stack === 'node')).url)
const sysconfigUrl = `http://${nodeUrl.host}/kapi/system_config`
await home.line(l => l.msg === 'service discovery ready')
// The sample service announces itself as "hello" on node "home", as any process of the zone can.
zonegate('announce', ['service', 'announce', '--sysconfig', sysconfigUrl, '--token-key', ids.home.file, '--zone', ZONE, '--service', 'hello', '--node', 'home', '--port', `http=${servicePort}`, '--log-level', 'warn'])
const entryPort = await portOr0(18080)
const remote = zonegate('remote', ['gateway', '-c', config('remote', {
  role: 'gateway', device: { key: ids.remote.file },
  rtcp: { trust: { devices: ['sn', 'home'] }, peers: { sn: { did: ids.sn.did, addrs: [snUrl.host], keep: true }, home: { did: ids.home.did, via: 'sn' } } },
  // A node of the same zone: it follows system-config (at home) by watch.
  sysconfig: { zone: ZONE, owner: ids.owner.did, node: 'remote', devices: { home: ids.home.did }, url: sysconfigUrl },
  stacks: [{ id: 'web', listen: `127.0.0.1:${entryPort}`, chain: 'web' }],
  // The processing chain: requests are routed one by one, by path, on keep-alive connections.
  chains: {
    web: {
      probe: ['http'],
      routes: [
        { id: 'about', match: { path_prefix: '/about' }, process: { respond: { status: 200, headers: { 'content-type': 'text/plain' }, body: 'answered by the remote gateway itself (route "about")\n' } } },
        { id: 'old', match: { path_prefix: '/old' }, process: { redirect: { to: '/hello{query}', status: 302 } } },
        // Found by discovery: the live instance of "hello", on node home, over rtcp through the SN.
        { id: 'hello', process: { http_proxy: 'service://hello' } }
      ],
      post_resp_filter: [{ set_header: { 'x-served-by': 'zonegate route {path.1}' } }]
    }
  }
})])
await home.line(l => l.msg === 'keep-tunnel up')
const entry = new URL((await remote.line(l => l.msg === 'listening' && l.stack === 'web')).url)
// Ready when the remote has learned of "hello" by watch and reaches it: what the first curl does.
for (let i = 0; i < 100; i++) {
  const ok = await fetch(`http://${entry.host}/hello`).then(r => r.status === 200, () => false)
  if (ok) break
  await new Promise(resolve => setTimeout(resolve, 200))
}

out(`
zonegate demo is running on loopback (Ctrl-C stops everything).

  SN              rtcp://${snUrl.host}   ${ids.sn.did}
  home gateway    dials out to the SN only, as a machine behind NAT would
                  sample service on its loopback: http://127.0.0.1:${servicePort}/
                  zone ${ZONE}: system-config and token issuer embedded (node:sqlite);
                  node gateway http://${nodeUrl.host}/kapi/<service>/
                  "hello" announced itself there (services/hello/instances/home)
  remote gateway  stack "web" on http://${entry.host}/, chain "web":
                    /about  answered by the remote gateway (respond)
                    /old    redirects to /hello (redirect)
                    else    http_proxy to service://hello: discovery finds it on node
                            home, reached over rtcp through the SN, which relays
                            ciphertext only (Noise end to end)

Try:
  curl http://${entry.host}/hello
  curl http://${nodeUrl.host}/kapi/hello/there
  curl -i http://${entry.host}/about
  curl -L http://${entry.host}/old
  curl -o /dev/null -w '%{size_download} bytes at %{speed_download} bytes/s\\n' 'http://${entry.host}/big?mib=200'

Configs and keys of this run: ${dir}
`)
