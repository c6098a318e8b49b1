// Debian's bind9 (`named`) as an authoritative peer on loopback, for side-by-side tests and the DNS
// benchmark: a config and zone files in a scratch directory, `named -g` as the current user on a
// high port, ready when it logs "all zones loaded" and "running", stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync, existsSync } from 'node:fs'
import { once } from 'node:events'
import { join } from 'node:path'
import type { DnsRecord } from '../../src/sn/dns/types.ts'

export const NAMED = '/usr/sbin/named'

export interface Bind9 {
  pid: number
  port: number
  child: ChildProcess
  stop (): Promise<void>
}

function quote (s: string): string {
  return `"${s.replace(/[\\"]/g, c => `\\${c}`)}"`
}

function rdata (r: DnsRecord): string {
  switch (r.type) {
    case 'A': case 'AAAA': return r.address
    case 'NS': return `${r.ns}.`
    case 'CNAME': return `${r.domain}.`
    // Split as our encoder does: a <character-string> holds at most 255 bytes.
    case 'TXT': return r.data.flatMap(s => { const b = Buffer.from(s); const parts: string[] = []; for (let i = 0; i < b.length; i += 255) parts.push(b.subarray(i, i + 255).toString()); return b.length === 0 ? [''] : parts }).map(quote).join(' ')
    case 'SOA': return `${r.primary}. ${r.admin}. ${r.serial} ${r.refresh} ${r.retry} ${r.expiration} ${r.minimum}`
  }
}

/** A master-file zone (RFC 1035 §5) with the records of every name at or below `apex`. */
export function zoneText (apex: string, data: ReadonlyMap<string, readonly DnsRecord[]>): string {
  const lines = [`$ORIGIN ${apex}.`]
  // The SOA must come first.
  const all = [...data].filter(([name]) => name === apex || name.endsWith(`.${apex}`))
  all.sort(([a], [b]) => (a === apex ? -1 : b === apex ? 1 : 0))
  for (const [name, records] of all) {
    const sorted = [...records].sort((a, b) => (a.type === 'SOA' ? -1 : b.type === 'SOA' ? 1 : 0))
    for (const r of sorted) lines.push(`${name}. ${r.ttl} IN ${r.type} ${rdata(r)}`)
  }
  return lines.join('\n') + '\n'
}

export interface Bind9Init {
  /** Scratch directory for the config, zones, pid and key files. */
  dir: string
  port: number
  host?: string
  zones: Array<{ apex: string, text: string }>
  /** Worker threads (-n); default: named's own choice (one per CPU). */
  threads?: number
  timeoutMs?: number
}

export async function startBind9 (init: Bind9Init): Promise<Bind9> {
  if (!existsSync(NAMED)) throw new Error('named is missing; install it with: apt-get install -y bind9')
  const host = init.host ?? '127.0.0.1'
  const zones = init.zones.map(({ apex, text }) => {
    const file = join(init.dir, `${apex}.zone`)
    writeFileSync(file, text)
    return `zone "${apex}" { type primary; file "${file}"; };`
  })
  const conf = join(init.dir, 'named.conf')
  writeFileSync(conf, `options {
  directory "${init.dir}";
  pid-file "${join(init.dir, 'named.pid')}";
  session-keyfile "${join(init.dir, 'session.key')}";
  managed-keys-directory "${init.dir}";
  listen-on port ${init.port} { ${host}; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  allow-transfer { none; };
  minimal-responses yes;
};
controls { };
${zones.join('\n')}
`)
  const args = ['-g', '-c', conf, ...(init.threads != null ? ['-n', String(init.threads)] : [])]
  const child = spawn(NAMED, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`named not running within ${init.timeoutMs ?? 15_000} ms: ${log.slice(-2000)}`)), init.timeoutMs ?? 15_000)
    child.stderr!.on('data', (d: Buffer) => {
      if (log.length < 100_000) log += d.toString()
      // "running" can come before the zones have loaded (they load asynchronously): wait for both.
      if (/\brunning\b/.test(log) && log.includes('all zones loaded')) { clearTimeout(timer); resolve() }
    })
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`named exited ${code}: ${log.slice(-2000)}`)) })
  })
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const timer = setTimeout(() => { try { child.kill('SIGKILL') } catch {} }, 5000)
    await exited
    clearTimeout(timer)
  }
  try {
    await ready
  } catch (err) {
    await stop()
    throw err
  }
  return { pid: child.pid!, port: init.port, child, stop }
}

/** A loopback port free for both TCP and UDP a moment ago (named binds both). */
export async function freeDnsPort (host = '127.0.0.1'): Promise<number> {
  const net = await import('node:net')
  const dgram = await import('node:dgram')
  for (let attempt = 0; ; attempt++) {
    const srv = net.createServer()
    srv.listen(0, host)
    await once(srv, 'listening')
    const port = (srv.address() as import('node:net').AddressInfo).port
    const u = dgram.createSocket('udp4')
    const ok = await new Promise<boolean>(resolve => {
      u.once('error', () => resolve(false))
      u.bind(port, host, () => resolve(true))
    })
    await new Promise<void>(resolve => srv.close(() => resolve()))
    await new Promise<void>(resolve => { try { u.close(() => resolve()) } catch { resolve() } })
    if (ok || attempt >= 20) return port
  }
}
