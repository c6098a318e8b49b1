// Pieces for the processing-chain integration tests: certificates made with openssl, upstream
// servers that say who they are, a gateway started from a stacks + chains document, and curl.
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import { once } from 'node:events'
import { execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { keygen, writeConfig, zonegate, type ZonegateProcess } from './proc.ts'

interface TapLike { teardown(fn: () => unknown): void }

export interface CertFiles { certFile: string, keyFile: string, cert: Buffer, key: Buffer }

/** A self-signed certificate for `names` (the first is the CN; "*.x" wildcards allowed). */
export async function makeCert (dir: string, id: string, names: string[]): Promise<CertFiles> {
  const keyFile = join(dir, `${id}.key`)
  const certFile = join(dir, `${id}.pem`)
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${names[0]}`,
    '-addext', `subjectAltName=${names.map(n => `DNS:${n}`).join(',')}`
  ])
  return { certFile, keyFile, cert: await readFile(certFile), key: await readFile(keyFile) }
}

export interface SeenRequest { method: string, url: string, headers: http.IncomingHttpHeaders, body: string }

/** An HTTP(S) server that answers "<marker> <path>" and remembers what it was sent. */
export async function markerServer (t: TapLike, marker: string, tlsFiles?: CertFiles & { alpn?: string[] }): Promise<{ port: number, seen: SeenRequest[], connections: () => number }> {
  const seen: SeenRequest[] = []
  let connections = 0
  const handler: http.RequestListener = (req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => { body += d.toString() })
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const text = `${marker} ${req.url ?? ''}`
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text), 'x-marker': marker, server: 'marker' })
      res.end(text)
    })
  }
  const srv = tlsFiles == null
    ? http.createServer(handler)
    : https.createServer({ cert: tlsFiles.cert, key: tlsFiles.key, ...(tlsFiles.alpn != null ? { ALPNProtocols: tlsFiles.alpn } : {}) }, handler)
  srv.on('connection', () => { connections++ })
  srv.keepAliveTimeout = 5000
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => { srv.closeAllConnections(); srv.close() })
  return { port: (srv.address() as net.AddressInfo).port, seen, connections: () => connections }
}

/** A raw TCP server that records every byte of each connection and answers `reply` at the first. */
export async function rawServer (t: TapLike, reply: string): Promise<{ port: number, first: Buffer[] }> {
  const first: Buffer[] = []
  const sockets = new Set<net.Socket>()
  const srv = net.createServer({ allowHalfOpen: true }, s => {
    sockets.add(s)
    const index = first.length
    first.push(Buffer.alloc(0))
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    s.on('data', (d: Buffer) => { first[index] = Buffer.concat([first[index], d]) })
    s.once('data', () => { s.write(reply) })
    s.once('end', () => s.end())
  })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => { for (const s of sockets) s.destroy(); srv.close() })
  return { port: (srv.address() as net.AddressInfo).port, first }
}

export interface ChainGateway {
  proc: ZonegateProcess
  file: string
  /** host:port of each stack, by id. */
  addr: Record<string, string>
  port: Record<string, number>
}

/** Start a gateway with these stacks and chains (plus any other top-level keys). */
export async function chainGateway (t: TapLike, dir: string, doc: Record<string, unknown>, name = 'gw'): Promise<ChainGateway> {
  const key = await keygen(dir, `${name}-key`)
  const file = await writeConfig(dir, name, { role: 'gateway', device: { key: key.file }, ...doc })
  const proc = zonegate(t, name, ['gateway', '-c', file])
  const addr: Record<string, string> = {}
  const port: Record<string, number> = {}
  for (const s of (doc.stacks as Array<{ id: string }>)) {
    const url = await proc.listening({ stack: s.id })
    addr[s.id] = url.host
    port[s.id] = Number(url.port)
  }
  return { proc, file, addr, port }
}

export interface CurlResult { code: number | null, stdout: string, stderr: string }

/** curl with these arguments (bounded by --max-time). */
export function curl (args: string[], maxSeconds = 15): Promise<CurlResult> {
  return new Promise((resolve) => {
    const c = spawn('curl', ['-sS', '--max-time', String(maxSeconds), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''; let stderr = ''
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    c.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Run a command with stdin text; bounded by `timeoutMs`. */
export function run (cmd: string, args: string[], input = '', timeoutMs = 15_000): Promise<CurlResult> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''; let stderr = ''
    const timer = setTimeout(() => c.kill('SIGKILL'), timeoutMs)
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    c.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
    c.stdin.end(input)
  })
}

/**
 * A "home" gateway that accepts rtcp tunnels from `trust` (dids), with any other top-level keys
 * (stacks, chains, rtcp extras); resolves once its rtcp listener is bound.
 */
export async function rtcpHome (t: TapLike, dir: string, key: { file: string }, trust: string[], doc: Record<string, unknown> = {}): Promise<{ proc: ZonegateProcess, addr: string }> {
  const { rtcp, ...rest } = doc as { rtcp?: Record<string, unknown> }
  const file = await writeConfig(dir, 'home', {
    role: 'gateway',
    device: { key: key.file },
    rtcp: { listen: ['127.0.0.1:0'], trust: { devices: trust }, ...rtcp },
    ...rest
  })
  const proc = zonegate(t, 'home', ['gateway', '-c', file])
  const line = await proc.waitFor(l => l.msg === 'listening' && String(l.url).startsWith('rtcp://127.'))
  return { proc, addr: new URL(line.url).host }
}
