// Start the zonegate gateway the chain benchmark measures, or say why it cannot run.
import { keygen, writeConfig, zonegate, zonegateRun, freePort } from '../../integration/harness/proc.ts'
import { zonegateConfig, type SniRoutes, type ZonegatePorts } from './peer-configs.ts'
import { cleanups } from './procs.ts'

export type ZonegateUp = { pid: number, ports: ZonegatePorts } | { skipped: string }

const firstLine = (err: unknown): string => {
  const e = err as { stderr?: string, message?: string }
  const text = `${e.stderr ?? ''}\n${e.message ?? String(err)}`
  // Node prints the source line of a throw before the message: prefer the message itself.
  const lines = text.split('\n').map(l => l.trim())
  const line = lines.find(l => /^(\w*Error\b|Error \[|zonegate:)/.test(l)) ?? lines.find(l => l !== '') ?? ''
  return line.trim().slice(0, 300)
}

export async function startZonegate (dir: string, routes: SniRoutes, tlsNames: string[], host: string, httpUpstream: number, cert: string, key: string): Promise<ZonegateUp> {
  let file: string
  const ports: ZonegatePorts = { sni: await freePort(), web: await freePort(), http: await freePort() }
  try {
    const id = await keygen(dir, 'zonegate')
    file = await writeConfig(dir, 'zonegate', zonegateConfig(id.file, ports, routes, tlsNames, host, httpUpstream, cert, key))
  } catch (err) { return { skipped: `zonegate keygen failed: ${firstLine(err)}` } }
  try {
    await zonegateRun(['validate', '-c', file])
  } catch (err) { return { skipped: `zonegate validate failed: ${firstLine(err)}` } }
  const p = zonegate({ teardown: (fn) => { cleanups.push(fn) } }, 'zonegate', ['gateway', '-c', file])
  try {
    const exited = p.exited.then(code => { throw new Error(`exited with ${code}: ${p.stderr.slice(-300)}`) })
    exited.catch(() => {}) // it also exits when the bench stops it: not an error then
    for (const stack of ['sni', 'web', 'http']) await Promise.race([p.listening({ stack }), exited])
  } catch (err) { return { skipped: `zonegate gateway did not start: ${firstLine(err)}` } }
  return { pid: p.pid, ports }
}
