// Independent SOCKS5 servers on loopback for client tests: Debian's microsocks and dante (danted).
// Each start function picks a free port, spawns the daemon in the foreground, waits until the port
// accepts connections and registers a teardown that kills it by PID. Tests use the *_SKIP values
// as their `skip` option, so a missing binary prints why instead of failing.
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import net from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { closedPort } from './free-port.ts'

interface TestLike { teardown(fn: () => unknown): void, testdir(): string }

export interface SocksPeer { port: number, stop(): Promise<void> }

const MICROSOCKS = '/usr/bin/microsocks'
const DANTED = '/usr/sbin/danted'

function missing (path: string, pkg: string): string | false {
  try {
    accessSync(path, constants.X_OK)
    return false
  } catch {
    return `${path} is not installed (apt-get install -y ${pkg})`
  }
}

/** `false`, or why tests against that peer are skipped. */
export const MICROSOCKS_SKIP = missing(MICROSOCKS, 'microsocks')
export const DANTED_SKIP = missing(DANTED, 'dante-server')

// The daemons print nothing reliable when they are ready, so try connecting until one succeeds.
// The retry pause is polling for an external process, not synchronisation between our own events.
async function waitForPort (port: number, child: ChildProcess, name: string): Promise<void> {
  const deadline = performance.now() + 5000
  while (performance.now() < deadline) {
    if (child.exitCode != null || child.signalCode != null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening`)
    const s = net.connect({ host: '127.0.0.1', port })
    const ok = await new Promise<boolean>(resolve => { s.once('connect', () => resolve(true)); s.once('error', () => resolve(false)) })
    s.destroy()
    if (ok) return
    await sleep(20)
  }
  throw new Error(`${name} did not listen on 127.0.0.1:${port} within 5 s`)
}

async function run (t: TestLike, name: string, file: string, args: string[], port: number): Promise<SocksPeer> {
  // detached: its own process group, because dante's children outlive a SIGTERM to their mother
  // while they still relay a session; stop() signals the whole group (by our child's PID).
  const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => { if (stderr.length < 8192) stderr += c.toString() })
  const stop = async (): Promise<void> => {
    if (child.exitCode != null || child.signalCode != null) return
    const exited = once(child, 'exit')
    try {
      process.kill(-(child.pid as number), 'SIGTERM')
    } catch {
      child.kill('SIGTERM') // the group is gone already; the child may still need its signal
    }
    await exited
  }
  t.teardown(stop)
  try {
    await waitForPort(port, child, name)
  } catch (err) {
    await stop()
    throw new Error(`${(err as Error).message}\n${stderr}`)
  }
  return { port, stop }
}

/** microsocks on 127.0.0.1; with `auth`, only username/password clients are served. */
export async function startMicrosocks (t: TestLike, auth?: { username: string, password: string }): Promise<SocksPeer> {
  const port = await closedPort()
  const args = ['-i', '127.0.0.1', '-p', String(port)]
  if (auth != null) args.push('-u', auth.username, '-P', auth.password)
  return await run(t, 'microsocks', MICROSOCKS, args, port)
}

/** danted on 127.0.0.1 and ::1, no auth, loopback clients to any loopback target. */
export async function startDanted (t: TestLike): Promise<SocksPeer> {
  const port = await closedPort()
  const dir = t.testdir()
  const conf = join(dir, 'danted.conf')
  writeFileSync(conf, [
    'logoutput: stderr',
    `internal: 127.0.0.1 port = ${port}`,
    `internal: ::1 port = ${port}`,
    'external: 127.0.0.1',
    'external: ::1',
    'socksmethod: none',
    'clientmethod: none',
    'user.unprivileged: nobody',
    'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }',
    'client pass { from: ::1/128 to: ::/0 }',
    'socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }',
    'socks pass { from: 127.0.0.0/8 to: ::/0 }',
    'socks pass { from: ::1/128 to: ::/0 }',
    'socks pass { from: ::1/128 to: 0.0.0.0/0 }',
    ''
  ].join('\n'))
  // -N 1: one process serving (it still forks helpers; SIGTERM to the mother stops them all).
  return await run(t, 'danted', DANTED, ['-f', conf, '-N', '1', '-p', join(dir, 'danted.pid')], port)
}
