// Processes the chain benchmark starts: spawn, wait for a port, account CPU, stop by PID.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync, existsSync, rmSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { once } from 'node:events'
import net from 'node:net'

export const log = (s: string): void => { process.stderr.write(`# ${s}\n`) }

/** Stop functions, run in reverse order at the end (and on any failure). */
export const cleanups: Array<() => unknown> = []

export async function runCleanups (): Promise<void> {
  for (const fn of cleanups.splice(0).reverse()) { try { await fn() } catch {} }
}

/** Start a peer in the background; it is stopped by its PID when the bench ends. */
export function bg (cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  c.stderr!.on('data', (d: Buffer) => { if (err.length < 4000) err += d.toString() })
  c.stdout!.on('data', () => {})
  c.on('exit', (code, signal) => { if (code !== 0 && code !== null && signal == null) log(`${cmd} exited ${code}: ${err.slice(0, 400)}`) })
  cleanups.push(async () => {
    if (c.exitCode !== null || c.signalCode !== null) return
    c.kill('SIGTERM')
    const t = setTimeout(() => { try { c.kill('SIGKILL') } catch {} }, 5000)
    await once(c, 'exit')
    clearTimeout(t)
  })
  return c
}

export async function waitPort (port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const ok = await new Promise<boolean>(resolve => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true) }); s.on('error', () => resolve(false)) })
    if (ok) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`port ${port} not listening`)
}

/** pid and its descendants (nginx's worker is a child of the master), from /proc/<pid>/stat's ppid. */
function tree (pid: number): number[] {
  const kids = new Map<number, number[]>()
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    let stat = ''
    try { stat = readFileSync(`/proc/${e}/stat`, 'utf8') } catch { continue }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    const list = kids.get(ppid) ?? []
    list.push(Number(e))
    kids.set(ppid, list)
  }
  const out: number[] = []
  const walk = (p: number): void => { out.push(p); for (const k of kids.get(p) ?? []) walk(k) }
  walk(pid)
  return out
}

/**
 * CPU time used so far by a process tree, in ns: the sum of every thread's schedstat run time
 * (nanosecond resolution, where /proc/<pid>/stat counts 10 ms ticks). NaN when unreadable.
 */
export function cpuNs (pid: number): number {
  let sum = 0
  for (const p of tree(pid)) {
    let tasks: string[] = []
    try { tasks = readdirSync(`/proc/${p}/task`) } catch { continue }
    for (const t of tasks) {
      try { sum += Number(readFileSync(`/proc/${p}/task/${t}/schedstat`, 'utf8').split(' ')[0]) } catch {}
    }
  }
  return sum === 0 ? NaN : sum
}

/** Whether a Debian package's program is here; if not, say the exact command to get it. */
export function missing (what: Array<[path: string, pkg: string]>): string | null {
  const pkgs = what.filter(([p]) => !existsSync(p)).map(([, pkg]) => pkg)
  return pkgs.length === 0 ? null : `apt-get install -y ${[...new Set(pkgs)].join(' ')}`
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The commit the figures are for: "<short hash>+dirty" when src/ differs from it. */
export function benchCommit (): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT }).toString().trim() !== ''
    return dirty ? `${head}+dirty` : head
  } catch { return 'unknown' }
}

/**
 * Run a benchmark's main(), then stop every process it started and remove its scratch directory,
 * whatever happens (an exception, SIGINT, SIGTERM); exit when done.
 */
export async function runBench (main: () => Promise<void>, scratch: string): Promise<never> {
  const cleanup = async (): Promise<void> => {
    await runCleanups()
    rmSync(scratch, { recursive: true, force: true })
  }
  process.on('uncaughtException', (err) => { log(`failed: ${err.stack ?? err.message}`); void cleanup().finally(() => process.exit(1)) })
  process.on('SIGINT', () => { void cleanup().finally(() => process.exit(130)) })
  process.on('SIGTERM', () => { void cleanup().finally(() => process.exit(143)) })
  try {
    await main()
  } finally {
    await cleanup()
  }
  process.exit(0)
}
