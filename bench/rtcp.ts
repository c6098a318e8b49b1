// rtcp benchmark: one command, JSON lines on stdout.
//   node bench/rtcp.ts [--secs 5] [--runs 3] [--tunnels 1000] [--opens 2000]
// Single-stream throughput (iperf3) and 1-byte round trip through
//   direct       iperf3 / echo server, no hop
//   node-fwd     a minimal node:net forwarder (the baseline every ratio is taken against)
//   rtcp-direct  remote gateway → rtcp → home gateway
//   rtcp-relay   remote gateway → rtcp → SN → rtcp → home gateway (end-to-end encrypted)
//   ssh-chacha20 / ssh-aes128-gcm   OpenSSH -L forwarding to a loopback sshd started here
// plus stream-open latency on an existing tunnel and SN memory per idle device tunnel.
// Every peer is started here, on 127.0.0.1, and stopped by PID at the end.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync, rmSync, chmodSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import net from 'node:net'
import { once } from 'node:events'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { keygen, writeConfig, zonegate, freePort, ROOT, type ZonegateProcess } from '../integration/harness/proc.ts'
import { RtcpNode } from '../src/rtcp/node.ts'
import { silentLogger } from '../src/core/logger.ts'
import { benchRtcpConfig } from './peers/config.ts'

const { values: opt } = parseArgs({ options: { secs: { type: 'string', default: '5' }, runs: { type: 'string', default: '3' }, tunnels: { type: 'string', default: '1000' }, opens: { type: 'string', default: '2000' } } })
const SECS = Number(opt.secs); const RUNS = Number(opt.runs); const TUNNELS = Number(opt.tunnels); const OPENS = Number(opt.opens)
const dir = mkdtempSync(join(tmpdir(), 'zonegate-bench-'))
const cleanups: Array<() => unknown> = []
const t = { teardown: (fn: () => unknown) => { cleanups.push(fn) } }
const commit = (() => { try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim() } catch { return 'unknown' } })()
const log = (s: string): void => { process.stderr.write(`# ${s}\n`) }

execFileSync('bash', [join(ROOT, 'scripts/ensure-debian.sh'), 'iperf3:iperf3', 'sshd:openssh-server', 'ssh:openssh-client'], { stdio: 'inherit' })

function bg (name: string, cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  c.stderr!.on('data', () => {})
  cleanups.push(async () => { if (c.exitCode === null) { c.kill('SIGTERM'); await once(c, 'exit') } })
  void name
  return c
}
async function waitPort (port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const ok = await new Promise<boolean>(resolve => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) }); s.on('error', () => resolve(false)) })
    if (ok) return
    await new Promise(r => setTimeout(r, 50))
  }
  throw new Error(`port ${port} not listening`)
}
function median (xs: number[]): number { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
function pct (xs: number[], p: number): number { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(s.length * p))] }
function emit (bench: string, params: Record<string, unknown>, unit: string, value: number, extra: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ bench, params, unit, value: Number(value.toFixed(3)), ...extra, node: process.version, commit }) + '\n')
}

async function iperfOnce (port: number): Promise<{ gbps: number, error?: string }> {
  const out = await new Promise<string>((resolve) => {
    const c = spawn('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', String(SECS), '-O', '1', '-P', '1', '-J'], { stdio: ['ignore', 'pipe', 'ignore'] })
    let s = ''; c.stdout.on('data', d => { s += d }); c.on('close', () => resolve(s))
    setTimeout(() => c.kill('SIGKILL'), (SECS + 30) * 1000).unref()
  })
  try {
    const j = JSON.parse(out)
    if (j.error != null) return { gbps: NaN, error: j.error }
    return { gbps: j.end.sum_received.bits_per_second / 1e9 }
  } catch { return { gbps: NaN, error: out.slice(0, 200) } }
}

/** iperf3's server runs one test at a time and may still be closing the last one: retry a little. */
async function iperfGbps (port: number): Promise<number> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await iperfOnce(port)
    if (!Number.isNaN(r.gbps)) return r.gbps
    log(`iperf3 attempt ${attempt + 1} failed: ${r.error}`)
    await new Promise(resolve => setTimeout(resolve, 1000))
  }
  return NaN
}

async function pingPong (port: number, n = 5000): Promise<{ p50: number, p99: number }> {
  const s = net.connect({ port, host: '127.0.0.1', noDelay: true })
  await once(s, 'connect')
  const times: number[] = []
  let failure: Error | null = null
  s.on('error', (err) => { failure = err })
  const one = (): Promise<void> => new Promise((resolve, reject) => {
    if (failure != null) { reject(failure); return }
    s.once('data', () => resolve())
    s.once('close', () => reject(failure ?? new Error('connection closed')))
    s.write('x')
  })
  for (let i = 0; i < 300; i++) await one()
  for (let i = 0; i < n; i++) { const a = process.hrtime.bigint(); await one(); times.push(Number(process.hrtime.bigint() - a) / 1000) }
  s.destroy()
  return { p50: median(times), p99: pct(times, 0.99) }
}

interface Path { name: string, iperf: number, echo: number }

async function main (): Promise<void> {
  // targets
  const iperfPort = await freePort(); bg('iperf3', 'iperf3', ['-s', '-B', '127.0.0.1', '-p', String(iperfPort)]); await waitPort(iperfPort)
  const echoPort = await freePort(); bg('echo', process.execPath, [join(ROOT, 'bench/peers/echo-server.ts'), String(echoPort)]); await waitPort(echoPort)
  const paths: Path[] = [{ name: 'direct', iperf: iperfPort, echo: echoPort }]

  // node:net forwarder (baseline)
  const fwd = { iperf: await freePort(), echo: await freePort() }
  bg('fwd-iperf', process.execPath, [join(ROOT, 'bench/peers/tcp-fwd.ts'), String(fwd.iperf), String(iperfPort)])
  bg('fwd-echo', process.execPath, [join(ROOT, 'bench/peers/tcp-fwd.ts'), String(fwd.echo), String(echoPort)])
  await waitPort(fwd.iperf); await waitPort(fwd.echo)
  paths.push({ name: 'node-fwd', ...fwd })

  // zonegate: SN, home (listens, and keeps a tunnel to the SN), remote-direct, remote-relay
  const ids = { sn: await keygen(dir, 'sn'), home: await keygen(dir, 'home'), rd: await keygen(dir, 'rd'), rr: await keygen(dir, 'rr') }
  const benchKey = await generateKeyPair('Ed25519')
  const benchDid = `did:dev:${Buffer.from(benchKey.publicKey.raw).toString('base64url')}`
  const snPort = await freePort()
  const quiet = { level: 'info' }
  const sn = zonegate(t, 'sn', ['sn', '-c', await writeConfig(dir, 'sn', { role: 'sn', log: { level: 'info' }, device: { key: ids.sn.file }, rtcp: { listen: [`127.0.0.1:${snPort}`], trust: { devices: [ids.home.did, ids.rr.did] } } })])
  await sn.listening()
  const home = zonegate(t, 'home', ['gateway', '-c', await writeConfig(dir, 'home', {
    role: 'gateway', log: { level: 'info' }, device: { key: ids.home.file },
    rtcp: { listen: ['127.0.0.1:0'], trust: { devices: [ids.rd.did, ids.rr.did, ids.sn.did, benchDid] }, peers: { sn: { did: ids.sn.did, addrs: [`127.0.0.1:${snPort}`], keep: true } } }
  })])
  const homeRtcp = await home.listening()
  await home.waitFor(l => l.msg === 'keep-tunnel up')
  const remote = async (name: 'rd' | 'rr', homePeer: Record<string, unknown>): Promise<Path> => {
    const p = zonegate(t, name, ['gateway', '-c', await writeConfig(dir, name, {
      role: 'gateway', log: quiet, device: { key: ids[name].file },
      rtcp: { trust: { devices: [ids.home.did, ids.sn.did] }, peers: { sn: { did: ids.sn.did, addrs: [`127.0.0.1:${snPort}`] }, home: { did: ids.home.did, ...homePeer } } },
      stacks: [{ id: 'iperf', listen: '127.0.0.1:0', forward: `rtcp://home/:${iperfPort}` }, { id: 'echo', listen: '127.0.0.1:0', forward: `rtcp://home/:${echoPort}` }]
    })])
    procs.push(p)
    const [a, b] = [await p.listening({ stack: 'iperf' }), await p.listening({ stack: 'echo' })]
    return { name: name === 'rd' ? 'rtcp-direct' : 'rtcp-relay', iperf: Number(a.port), echo: Number(b.port) }
  }
  const procs: ZonegateProcess[] = [sn, home]
  paths.push(await remote('rd', { addrs: [homeRtcp.host], keep: true }))
  paths.push(await remote('rr', { via: 'sn', keep: true }))

  // OpenSSH -L with a throwaway sshd
  const sshDir = join(dir, 'ssh'); mkdirSync(sshDir); mkdirSync('/run/sshd', { recursive: true })
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(sshDir, 'host_key')])
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(sshDir, 'user_key')])
  writeFileSync(join(sshDir, 'authorized_keys'), readFileSync(join(sshDir, 'user_key.pub'))); chmodSync(join(sshDir, 'authorized_keys'), 0o600)
  const sshPort = await freePort()
  writeFileSync(join(sshDir, 'sshd_config'), `Port ${sshPort}\nListenAddress 127.0.0.1\nHostKey ${sshDir}/host_key\nAuthorizedKeysFile ${sshDir}/authorized_keys\nPasswordAuthentication no\nStrictModes no\nUsePAM no\nPidFile ${sshDir}/sshd.pid\n`)
  bg('sshd', '/usr/sbin/sshd', ['-D', '-f', join(sshDir, 'sshd_config'), '-E', join(sshDir, 'sshd.log')]); await waitPort(sshPort)
  const user = execFileSync('id', ['-un']).toString().trim()
  for (const [label, cipher] of [['ssh-chacha20', 'chacha20-poly1305@openssh.com'], ['ssh-aes128-gcm', 'aes128-gcm@openssh.com']]) {
    const p = { iperf: await freePort(), echo: await freePort() }
    bg(label, 'ssh', ['-c', cipher, '-i', join(sshDir, 'user_key'), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-p', String(sshPort), '-N',
      '-L', `127.0.0.1:${p.iperf}:127.0.0.1:${iperfPort}`, '-L', `127.0.0.1:${p.echo}:127.0.0.1:${echoPort}`, `${user}@127.0.0.1`])
    await waitPort(p.iperf); await waitPort(p.echo)
    paths.push({ name: label, ...p })
  }

  // throughput and round trip, each path in turn
  const results = new Map<string, { gbps: number, samples: number[], p50: number, p99: number }>()
  for (const p of paths) {
    const samples: number[] = []
    for (let i = 0; i < RUNS; i++) samples.push(await iperfGbps(p.iperf))
    let rtt = { p50: NaN, p99: NaN }
    try {
      rtt = await pingPong(p.echo)
    } catch (err) {
      log(`${p.name}: round trip failed: ${(err as Error).message}`)
      for (const z of procs) for (const l of z.lines.filter(l => l.level >= 40).slice(-5)) log(`  [${z.name}] ${JSON.stringify(l).slice(0, 400)}`)
    }
    results.set(p.name, { gbps: median(samples), samples: samples.map(x => Number(x.toFixed(3))), ...rtt })
    log(`${p.name}: ${median(samples).toFixed(2)} Gbit/s, rtt p50 ${rtt.p50.toFixed(1)} us`)
  }
  const base = results.get('node-fwd')!
  for (const [name, r] of results) {
    emit('tunnel-throughput', { path: name, streams: 1, secs: SECS }, 'Gbit/s', r.gbps, { samples: r.samples, ratio_to_node_fwd: Number((r.gbps / base.gbps).toFixed(3)) })
    emit('tunnel-rtt-1B', { path: name, quantile: 'p50' }, 'us', r.p50, { ratio_to_node_fwd: Number((r.p50 / base.p50).toFixed(3)) })
    emit('tunnel-rtt-1B', { path: name, quantile: 'p99' }, 'us', r.p99, { ratio_to_node_fwd: Number((r.p99 / base.p99).toFixed(3)) })
  }

  // stream open on an existing tunnel: a client device opens OPENS streams to home, one after another
  const client = new RtcpNode({ privateKey: benchKey, logger: silentLogger(), config: benchRtcpConfig({ peers: [{ name: 'home', did: ids.home.did, addrs: [homeRtcp.host], keep: false }], trust: { devices: [ids.home.did], allowAny: false } }) })
  await client.start()
  cleanups.push(() => client.stop())
  const homePeer = client.peers.resolve('home')
  await client.connect(homePeer, AbortSignal.timeout(10_000))
  const opens: number[] = []
  for (let i = 0; i < OPENS + 100; i++) {
    const a = performance.now()
    const s = await client.openStream(homePeer, `:${echoPort}`, { signal: AbortSignal.timeout(10_000) })
    const ms = performance.now() - a
    s.destroy()
    if (i >= 100) opens.push(ms)
  }
  emit('rtcp-stream-open', { quantile: 'p50', tunnel: 'existing', target: 'loopback port' }, 'ms', median(opens), { samples: opens.length, target_ms: 2 })
  emit('rtcp-stream-open', { quantile: 'p99', tunnel: 'existing', target: 'loopback port' }, 'ms', pct(opens, 0.99), { samples: opens.length })

  // idle device tunnels held by an SN: RSS growth per tunnel
  const sn2Port = await freePort()
  const ids2 = await keygen(dir, 'sn2')
  const sn2 = zonegate(t, 'sn2', ['sn', '-c', await writeConfig(dir, 'sn2', { role: 'sn', log: quiet, device: { key: ids2.file }, rtcp: { listen: [`127.0.0.1:${sn2Port}`], trust: { allow_any: true }, keepalive: { interval: '30s', timeout: '10s' }, limits: { handshake_rate_per_ip: 100000, max_pending_handshakes: 1024 }, relay: { max_relayed_connections: TUNNELS + 100 } } })])
  await waitPort(sn2Port)
  await new Promise(r => setTimeout(r, 1000))
  const rss = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024
  // The handshakes leave garbage that V8 collects over the next seconds: take the lowest RSS.
  const settled = async (secs: number): Promise<number> => {
    let v = rss(sn2.pid)
    for (let i = 0; i < secs * 2; i++) { await new Promise(r => setTimeout(r, 500)); v = Math.min(v, rss(sn2.pid)) }
    return v
  }
  const startSwarms = async (count: number): Promise<void> => {
    const swarms: ChildProcess[] = []
    const perSwarm = 250
    for (let i = 0; i < count; i += perSwarm) {
      swarms.push(bg('swarm', process.execPath, ['--disable-warning=ExperimentalWarning', join(ROOT, 'bench/peers/swarm.ts'), `127.0.0.1:${sn2Port}`, ids2.did, String(Math.min(perSwarm, count - i))]))
    }
    await Promise.all(swarms.map(c => new Promise<void>((resolve, reject) => {
      let s = ''
      c.stdout!.on('data', d => { s += d; if (s.includes('ready')) resolve() })
      c.on('exit', code => reject(new Error(`swarm exited ${code}`)))
    })))
  }
  // Two batches: the first also pays fixed costs (V8 grows its young generation once, under the
  // handshakes' allocation), the second shows what one more idle tunnel costs.
  const before = await settled(1.5)
  const half = Math.floor(TUNNELS / 2)
  await startSwarms(half)
  const mid = await settled(10)
  await startSwarms(TUNNELS - half)
  const after = await settled(10)
  const marginal = (after - mid) / (TUNNELS - half)
  emit('sn-idle-tunnels', { tunnels: TUNNELS, measure: 'marginal' }, 'bytes/tunnel', marginal, { rss_at_half: mid, rss_at_full: after, projected_10k_gib: Number(((after + marginal * (10_000 - TUNNELS)) / 2 ** 30).toFixed(3)) })
  emit('sn-idle-tunnels', { tunnels: TUNNELS, measure: 'average' }, 'bytes/tunnel', (after - before) / TUNNELS, { rss_before: before, rss_after: after })
  void sn; void home
}

async function cleanup (): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) { try { await fn() } catch {} }
  rmSync(dir, { recursive: true, force: true })
}
// Whatever goes wrong, stop every process this benchmark started before exiting.
process.on('uncaughtException', (err) => { log(`failed: ${err.stack ?? err.message}`); void cleanup().finally(() => process.exit(1)) })
process.on('SIGINT', () => { void cleanup().finally(() => process.exit(130)) })
try {
  await main()
} finally {
  await cleanup()
}
process.exit(0)
