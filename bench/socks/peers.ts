// The SOCKS5 servers the SOCKS benchmark measures, each started on 127.0.0.1 and stopped by PID at
// the end (the shared cleanups of bench/chain/procs.ts).
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { join } from 'node:path'
import { cleanups, log } from '../chain/procs.ts'

export const MICROSOCKS = '/usr/bin/microsocks'
export const DANTED = '/usr/sbin/danted'

/** danted without auth, loopback clients to loopback targets (as test/helpers/socks-peers.ts). */
export function dantedConfig (port: number): string {
  return [
    'logoutput: stderr',
    `internal: 127.0.0.1 port = ${port}`,
    'external: 127.0.0.1',
    'socksmethod: none',
    'clientmethod: none',
    'user.unprivileged: nobody',
    'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }',
    'socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 }',
    ''
  ].join('\n')
}

/**
 * danted in its own process group: its children outlive a SIGTERM to the mother while they still
 * relay a session, so the stop signals the whole group (by our child's PID), then kills it if it
 * has not exited within 5 s. -N 1: one serving process (it forks its helpers; all are in the
 * group and in the PID's tree that cpuNs() sums).
 */
export function startDanted (dir: string, port: number): number {
  const conf = join(dir, 'danted.conf')
  writeFileSync(conf, dantedConfig(port))
  const c = spawn(DANTED, ['-f', conf, '-N', '1', '-p', join(dir, 'danted.pid')], { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let err = ''
  c.stderr!.on('data', (d: Buffer) => { if (err.length < 4000) err += d.toString() })
  c.on('exit', (code, signal) => { if (code !== 0 && code !== null && signal == null) log(`danted exited ${code}: ${err.slice(0, 400)}`) })
  const group = (sig: NodeJS.Signals): void => { try { process.kill(-c.pid!, sig) } catch { try { c.kill(sig) } catch {} } }
  cleanups.push(async () => {
    if (c.exitCode !== null || c.signalCode !== null) return
    const exited = once(c, 'exit')
    group('SIGTERM')
    const t = setTimeout(() => group('SIGKILL'), 5000)
    await exited
    clearTimeout(t)
  })
  return c.pid!
}
