// Topologies used by several integration tests: an SN, a "home" gateway that only dials out,
// a "remote" gateway that reaches home through the SN (or directly), and test services.
import http from 'node:http'
import net from 'node:net'
import { once } from 'node:events'
import { createHash, createCipheriv } from 'node:crypto'
import { spawn } from 'node:child_process'
import { keygen, writeConfig, zonegate, freePort, type ZonegateProcess } from './proc.ts'

interface TapLike { teardown(fn: () => unknown): void }

export const FAST_KEEPALIVE = { interval: '1s', timeout: '2s' }
export const FAST_RECONNECT = { initial: '100ms', max: '1s' }

/** Deterministic bulk data: chunk i of 1 MiB is an AES-CTR keystream with the index as its IV. */
export function bulkChunk (i: number): Buffer {
  const iv = Buffer.alloc(16)
  iv.writeUInt32BE(i, 12)
  return createCipheriv('aes-128-ctr', BULK_KEY, iv).update(Buffer.alloc(1024 * 1024))
}
const BULK_KEY = Buffer.from('zonegate-bulk-16')

/** An HTTP service on loopback: /big?mib=N streams N MiB of bulk data, / answers "hello". */
export async function httpService (t: TapLike): Promise<{ port: number, sha256: (mib: number) => string }> {
  const srv = http.createServer(async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x')
    if (u.pathname === '/big') {
      const mib = Number(u.searchParams.get('mib') ?? '1')
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(mib * 1024 * 1024) })
      for (let i = 0; i < mib; i++) {
        if (!res.write(bulkChunk(i))) await once(res, 'drain')
      }
      res.end()
      return
    }
    res.end(`hello from home, you asked for ${u.pathname}`)
  })
  srv.keepAliveTimeout = 1000
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => { srv.closeAllConnections(); srv.close() })
  const sha256 = (mib: number): string => {
    const h = createHash('sha256')
    for (let i = 0; i < mib; i++) h.update(bulkChunk(i))
    return h.digest('hex')
  }
  return { port: (srv.address() as net.AddressInfo).port, sha256 }
}

/** A TCP echo server on loopback. */
export async function echoService (t: TapLike): Promise<number> {
  const sockets = new Set<net.Socket>()
  const srv = net.createServer({ allowHalfOpen: true }, s => { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); s.pipe(s) })
  srv.listen({ port: 0, host: '127.0.0.1', backlog: 4096 })
  await once(srv, 'listening')
  t.teardown(() => { for (const s of sockets) s.destroy(); srv.close() })
  return (srv.address() as net.AddressInfo).port
}

/** curl URL, hashing the body as it streams. */
export function curlSha256 (url: string, maxSeconds = 120, extra: string[] = []): Promise<{ code: number | null, sha256: string, bytes: number, stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('curl', ['-sS', '--fail', '--max-time', String(maxSeconds), ...extra, '-o', '-', url], { stdio: ['ignore', 'pipe', 'pipe'] })
    const h = createHash('sha256')
    let bytes = 0
    let stderr = ''
    c.stdout.on('data', (d: Buffer) => { bytes += d.length; h.update(d) })
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    c.on('close', (code) => resolve({ code, sha256: h.digest('hex'), bytes, stderr }))
  })
}

export function curlText (url: string, maxSeconds = 10): Promise<{ code: number | null, body: string, stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('curl', ['-sS', '--fail', '--max-time', String(maxSeconds), url], { stdio: ['ignore', 'pipe', 'pipe'] })
    let body = ''; let stderr = ''
    c.stdout.on('data', (d: Buffer) => { body += d.toString() })
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    c.on('close', (code) => resolve({ code, body, stderr }))
  })
}

export interface RelayZone {
  dir: string
  snPort: number
  sn: ZonegateProcess
  home: ZonegateProcess
  remote: ZonegateProcess
  /** The remote gateway's stack that forwards to home's service. */
  entry: URL
  ids: Record<'sn' | 'home' | 'remote', { file: string, did: string }>
  snConfig: string
  startSn(): ZonegateProcess
}

/** SN + home (dials out only, keeps its tunnel) + remote (reaches home via the SN). */
/** `homeKeepalive: null` leaves home's keep-alive at the config defaults. */
export async function relayZone (t: TapLike, dir: string, homePort: number, options: { homeKeepalive?: Record<string, string> | null } = {}): Promise<RelayZone> {
  const ids = { sn: await keygen(dir, 'sn'), home: await keygen(dir, 'home'), remote: await keygen(dir, 'remote') }
  const snPort = await freePort()
  const snConfig = await writeConfig(dir, 'sn', {
    role: 'sn',
    device: { key: ids.sn.file },
    rtcp: { listen: [`127.0.0.1:${snPort}`], trust: { devices: [ids.home.did, ids.remote.did] } }
  })
  const homeConfig = await writeConfig(dir, 'home', {
    role: 'gateway',
    device: { key: ids.home.file },
    rtcp: {
      trust: { devices: ['sn', ids.remote.did] },
      peers: { sn: { did: ids.sn.did, addrs: [`127.0.0.1:${snPort}`], keep: true } },
      ...(options.homeKeepalive === null ? {} : { keepalive: options.homeKeepalive ?? FAST_KEEPALIVE }),
      reconnect: FAST_RECONNECT
    }
  })
  const remoteConfig = await writeConfig(dir, 'remote', {
    role: 'gateway',
    device: { key: ids.remote.file },
    rtcp: {
      trust: { devices: ['sn', 'home'] },
      peers: {
        sn: { did: ids.sn.did, addrs: [`127.0.0.1:${snPort}`], keep: true },
        home: { did: ids.home.did, via: 'sn' }
      },
      keepalive: FAST_KEEPALIVE,
      reconnect: FAST_RECONNECT
    },
    stacks: [{ id: 'web', listen: '127.0.0.1:0', forward: `rtcp://home/:${homePort}` }]
  })
  const zone: RelayZone = {
    dir, snPort, ids, snConfig,
    startSn: () => zonegate(t, 'sn', ['sn', '-c', snConfig]),
    sn: undefined as unknown as ZonegateProcess,
    home: undefined as unknown as ZonegateProcess,
    remote: undefined as unknown as ZonegateProcess,
    entry: undefined as unknown as URL
  }
  zone.sn = zone.startSn()
  await zone.sn.listening()
  zone.home = zonegate(t, 'home', ['gateway', '-c', homeConfig])
  zone.remote = zonegate(t, 'remote', ['gateway', '-c', remoteConfig])
  zone.entry = await zone.remote.listening({ stack: 'web' })
  await zone.home.waitFor(l => l.msg === 'keep-tunnel up' && l.peer === 'sn')
  return zone
}
