// A throwaway etcd (Debian's etcd-server, /usr/bin/etcd) on loopback ports with a temp data dir:
// started per test file, ready when /health answers, stopped by PID, its directory removed.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closedPort } from './free-port.ts'

export interface EtcdServer { endpoint: string, pid: number, stop (): Promise<void> }

export async function startEtcd (options: { bin?: string, readyTimeoutMs?: number } = {}): Promise<EtcdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'zonegate-etcd-'))
  const [client, peer] = [await closedPort(), await closedPort()]
  const clientUrl = `http://127.0.0.1:${client}`
  const peerUrl = `http://127.0.0.1:${peer}`
  const child: ChildProcess = spawn(options.bin ?? '/usr/bin/etcd', [
    '--name', 'default', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `default=${peerUrl}`, '--initial-cluster-state', 'new',
    // No auto-compaction: the compaction tests compact explicitly.
    '--auto-compaction-retention', '0', '--log-level', 'error'
  ], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-4000) })
  const exited = once(child, 'exit')
  // If the test process dies without stop(), do not leave an etcd behind.
  const onExit = (): void => { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }) }
  process.once('exit', onExit)
  const stop = async (): Promise<void> => {
    process.off('exit', onExit)
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000)
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`etcd exited with ${child.exitCode}: ${stderr}`)
    }
    const healthy = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) })
      .then(async res => res.ok && ((await res.json()) as { health?: string }).health === 'true', () => false)
    if (healthy) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`etcd not healthy within the deadline: ${stderr}`)
    }
    // Polling a process we do not control: a short pause between probes, bounded by the deadline.
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return { endpoint: clientUrl, pid: child.pid ?? -1, stop }
}
