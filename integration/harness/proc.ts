// Start real zonegate processes for integration tests, read their JSON log lines, wait for the
// lines that matter ("listening", "tunnel up"), and stop them by PID.
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import net from 'node:net'
import { promisify } from 'node:util'
import YAML from 'yaml'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CLI = join(ROOT, 'src', 'bin', 'zonegate.ts')
const NODE_ARGS = ['--disable-warning=ExperimentalWarning', CLI]
const pexec = promisify(execFile)

export type LogLine = Record<string, any> & { msg: string }

interface Waiter { pred: (l: LogLine) => boolean, resolve: (l: LogLine) => void }

export class ZonegateProcess {
  readonly name: string
  readonly child: ChildProcess
  readonly lines: LogLine[] = []
  stderr = ''
  #waiters = new Set<Waiter>()
  exited: Promise<number | null>

  constructor (name: string, child: ChildProcess) {
    this.name = name
    this.child = child
    const rl = createInterface({ input: child.stdout! })
    rl.on('line', (text) => {
      let line: LogLine
      try { line = JSON.parse(text) } catch { return }
      this.lines.push(line)
      for (const w of [...this.#waiters]) if (w.pred(line)) { this.#waiters.delete(w); w.resolve(line) }
    })
    child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString() })
    this.exited = once(child, 'exit').then(([code]) => code as number | null)
  }

  get pid (): number { return this.child.pid! }

  /** A past or future log line matching pred (only lines after `since`, an index into lines). */
  waitFor (pred: (l: LogLine) => boolean, timeoutMs = 15_000, since = 0): Promise<LogLine> {
    const past = this.lines.slice(since).find(pred)
    if (past != null) return Promise.resolve(past)
    return new Promise((resolve, reject) => {
      const w: Waiter = { pred, resolve: (l) => { clearTimeout(timer); resolve(l) } }
      const timer = setTimeout(() => {
        this.#waiters.delete(w)
        reject(new Error(`${this.name}: no matching log line within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}; last lines: ${JSON.stringify(this.lines.slice(-5))}`))
      }, timeoutMs)
      this.#waiters.add(w)
    })
  }

  /** The URL of the first listener whose line matches (e.g. a stack id). */
  async listening (match: Partial<LogLine> = {}, timeoutMs?: number): Promise<URL> {
    const l = await this.waitFor(l => l.msg === 'listening' && Object.entries(match).every(([k, v]) => l[k] === v), timeoutMs)
    return new URL(l.url)
  }

  async stop (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    process.kill(this.pid, signal)
    const t = setTimeout(() => { try { process.kill(this.pid, 'SIGKILL') } catch {} }, 5000)
    await this.exited
    clearTimeout(t)
  }
}

interface TapLike { teardown(fn: () => unknown): void }

/** Spawn `zonegate <args>`; the process is stopped by PID when the test ends. */
export function zonegate (t: TapLike, name: string, args: string[], env: Record<string, string> = {}): ZonegateProcess {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  const p = new ZonegateProcess(name, child)
  t.teardown(() => p.stop())
  return p
}

/** Run a zonegate command to completion. */
export async function zonegateRun (args: string[]): Promise<{ stdout: string, stderr: string }> {
  return await pexec(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT })
}

export async function keygen (dir: string, name: string): Promise<{ file: string, did: string }> {
  const file = join(dir, `${name}.pem`)
  const { stdout } = await zonegateRun(['keygen', '--out', file])
  const did = /did:dev:[A-Za-z0-9_-]+/.exec(stdout)?.[0]
  if (did == null) throw new Error(`keygen printed no did: ${stdout}`)
  return { file, did }
}

export async function writeConfig (dir: string, name: string, doc: unknown): Promise<string> {
  const file = join(dir, `${name}.yaml`)
  await writeFile(file, YAML.stringify(doc))
  return file
}

/** A loopback port that was free a moment ago (for processes that must keep a port across restarts). */
export async function freePort (): Promise<number> {
  const srv = net.createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return port
}

/** Poll `check` until it returns a value (not undefined), or fail after `ms` with the last error. */
export async function eventually<T> (what: string, ms: number, check: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  const deadline = Date.now() + ms
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) { last = err }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${last != null ? `; last error: ${String(last)}` : ''}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}
