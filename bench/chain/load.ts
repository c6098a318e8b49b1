// Load generators for the chain benchmark. Every loop is bounded in count and in time.
import net from 'node:net'
import tls from 'node:tls'
import { spawn } from 'node:child_process'
import { once } from 'node:events'

export function median (xs: number[]): number { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
export function pct (xs: number[], p: number): number { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(s.length * p))] }

/** A real ClientHello for `servername`, as node:tls sends it (one record), captured on loopback. */
export async function captureClientHello (servername: string): Promise<Buffer> {
  const srv = net.createServer()
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const got = new Promise<Buffer>((resolve, reject) => {
    srv.once('connection', s => {
      let buf = Buffer.alloc(0)
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d])
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) { resolve(buf.subarray(0, 5 + buf.readUInt16BE(3))); s.destroy() }
      })
      s.on('error', reject)
    })
  })
  const c = tls.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', servername, rejectUnauthorized: false })
  c.on('error', () => {})
  const hello = await Promise.race([got, new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error('no ClientHello captured')), 5000).unref())])
  c.destroy()
  srv.close()
  return hello
}

async function openWith (port: number, first: Buffer): Promise<net.Socket> {
  const s = net.connect({ port, host: '127.0.0.1', noDelay: true })
  await once(s, 'connect')
  s.write(first)
  return s
}

/**
 * Single-connection download through `port`: ClientHello + 'B', skip `warmMs`, then count bytes
 * for `secs`. Gbit/s, or NaN when the path breaks.
 */
export async function bulkGbps (port: number, hello: Buffer, secs: number, warmMs = 500): Promise<number> {
  const s = await openWith(port, Buffer.concat([hello, Buffer.from('B')]))
  let bytes = 0
  let t0 = 0n
  s.on('data', (d: Buffer) => { if (t0 !== 0n) bytes += d.length })
  const closed = new Promise<void>(resolve => { s.on('close', () => resolve()); s.on('error', () => {}) })
  await Promise.race([new Promise(resolve => setTimeout(resolve, warmMs)), closed])
  t0 = process.hrtime.bigint()
  await Promise.race([new Promise(resolve => setTimeout(resolve, secs * 1000)), closed])
  const ns = Number(process.hrtime.bigint() - t0)
  const broke = s.destroyed
  s.destroy()
  return broke || bytes === 0 ? NaN : bytes * 8 / ns
}

/** Round trips of `size` bytes over one established connection (ClientHello + 'E'), in µs. */
export async function pingPong (port: number, hello: Buffer, n: number, size: number, maxMs: number): Promise<number[]> {
  const s = await openWith(port, Buffer.concat([hello, Buffer.from('E')]))
  const msg = Buffer.alloc(size, 0x78)
  const times: number[] = []
  let failure: Error | null = null
  let want = 0
  let wake: (() => void) | null = null
  s.on('data', (d: Buffer) => { want -= d.length; if (want <= 0 && wake != null) { const w = wake; wake = null; w() } })
  s.on('error', (err) => { failure = err })
  s.on('close', () => { failure ??= new Error('connection closed'); wake?.() })
  const one = (): Promise<void> => new Promise((resolve, reject) => {
    if (failure != null) { reject(failure); return }
    want = size
    wake = () => { failure != null && want > 0 ? reject(failure) : resolve() }
    s.write(msg)
  })
  const end = Date.now() + maxMs
  try {
    for (let i = 0; i < 200 && Date.now() < end; i++) await one()
    for (let i = 0; i < n && Date.now() < end; i++) { const a = process.hrtime.bigint(); await one(); times.push(Number(process.hrtime.bigint() - a) / 1000) }
  } finally { s.destroy() }
  return times
}

export interface TlsRate { rate: number, p50: number, p99: number, conns: number, errors: number }

/** New full TLS handshakes (no resumption) through `port`, `conc` in flight, for `secs`. */
export async function tlsRate (port: number, servername: string, secs: number, conc: number): Promise<TlsRate> {
  const start = Date.now()
  const end = start + secs * 1000
  const lat: number[] = []
  let errors = 0
  const worker = async (): Promise<void> => {
    while (Date.now() < end && errors < 1000) {
      const t0 = process.hrtime.bigint()
      const ok = await new Promise<boolean>(resolve => {
        const s = tls.connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false, session: undefined }, () => { s.destroy(); resolve(true) })
        s.setTimeout(5000, () => { s.destroy(); resolve(false) })
        s.on('error', () => { s.destroy(); resolve(false) })
      })
      if (ok) lat.push(Number(process.hrtime.bigint() - t0) / 1e6)
      else { errors++; await new Promise(resolve => setTimeout(resolve, 10)) }
    }
  }
  await Promise.all(Array.from({ length: conc }, worker))
  const took = (Date.now() - start) / 1000
  return { rate: lat.length / took, p50: median(lat), p99: pct(lat, 0.99), conns: lat.length, errors }
}

export interface WrkResult { rps: number, p50: number, p99: number, errors: string | null }

function toMs (v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v)
  if (m == null) return NaN
  const x = Number(m[1])
  return m[2] === 'us' ? x / 1000 : m[2] === 'ms' ? x : m[2] === 's' ? x * 1000 : x * 60_000
}

/** wrk -t2 -c`conns` -d`secs` --latency with a Host header; killed if it overruns. */
export async function wrk (url: string, host: string, secs: number, conns: number): Promise<WrkResult> {
  const out = await new Promise<string>(resolve => {
    const c = spawn('wrk', ['-t2', `-c${conns}`, `-d${secs}s`, '--latency', '-H', `Host: ${host}`, url], { stdio: ['ignore', 'pipe', 'pipe'] })
    let s = ''
    c.stdout.on('data', d => { s += d })
    c.stderr.on('data', d => { s += d })
    const kill = setTimeout(() => c.kill('SIGKILL'), (secs + 20) * 1000)
    c.on('close', () => { clearTimeout(kill); resolve(s) })
  })
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)
  const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? '')
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '')
  const errs = [/Non-2xx or 3xx responses: \d+/.exec(out)?.[0], /Socket errors:.*/.exec(out)?.[0]].filter(x => x != null)
  return { rps, p50, p99, errors: errs.length > 0 ? errs.join('; ') : Number.isNaN(rps) ? out.slice(0, 300) : null }
}
