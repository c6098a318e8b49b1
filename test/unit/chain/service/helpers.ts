// Stand-ins for the zone's services: real HTTP servers on loopback, reached through a real tcp
// tunnel when the chain opens service://<svc> (the way discovery will map it at run time), plus a
// raw keep-alive HTTP/1 client that reads one response at a time from one connection.
import net from 'node:net'
import http from 'node:http'
import { once } from 'node:events'
import { TunnelRegistry } from '../../../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../../../src/tunnel/tcp/index.ts'
import { silentLogger } from '../../../../src/core/logger.ts'
import { createError } from '../../../../src/core/errors.ts'

const NO_SERVICE = createError<[string]>('TEST_ERR_NO_SERVICE', 'no live instance of service %s')

export interface Seen { svc: string, url: string, user?: string | string[], headers: http.IncomingHttpHeaders }

export interface Services {
  /** service://<svc> → what the chain opened, in order. */
  opened: string[]
  /** Requests the services received. */
  seen: Seen[]
  open (url: string, options: { signal: AbortSignal }): Promise<net.Socket>
  /** Map service://<svc> to this tcp URL (e.g. a closed port). */
  alias (svc: string, url: string): void
  close (): Promise<void>
}

/** One HTTP server per name; each answers JSON naming itself, the target it got and x-zonegate-user. */
export async function startServices (names: string[]): Promise<Services> {
  const registry = new TunnelRegistry().register(tcpTunnel({ logger: silentLogger() }))
  const servers: http.Server[] = []
  const urls = new Map<string, string>()
  const seen: Seen[] = []
  const opened: string[] = []
  for (const svc of names) {
    const srv = http.createServer((req, res) => {
      req.resume()
      const user = req.headers['x-zonegate-user']
      seen.push({ svc, url: req.url ?? '', ...(user !== undefined ? { user } : {}), headers: req.headers })
      const body = JSON.stringify({ svc, url: req.url, user: user ?? null })
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    })
    srv.keepAliveTimeout = 30_000
    srv.listen(0, '127.0.0.1')
    await once(srv, 'listening')
    servers.push(srv)
    urls.set(svc, `tcp://127.0.0.1:${(srv.address() as net.AddressInfo).port}`)
  }
  return {
    opened,
    seen,
    async open (url, options) {
      opened.push(url)
      const m = /^service:\/\/(.+)$/.exec(url)
      const to = m == null ? url : urls.get(m[1])
      if (to === undefined) throw new NO_SERVICE(m![1])
      return await registry.open(to, options) as unknown as net.Socket
    },
    alias (svc, url) { urls.set(svc, url) },
    async close () {
      for (const s of servers) { s.closeAllConnections(); s.close() }
      await registry.close()
    }
  }
}

export interface RawResponse { status: number, headers: Record<string, string>, body: string, head: string }

/** A keep-alive HTTP/1.1 client on one socket: request() writes, then reads one whole response. */
export class RawClient {
  readonly socket: net.Socket
  #buf = Buffer.alloc(0)
  #closed = false
  #wake: (() => void) | undefined

  constructor (port: number) {
    this.socket = net.connect(port, '127.0.0.1')
    this.socket.on('error', () => {})
    this.socket.on('data', (d: Buffer) => { this.#buf = Buffer.concat([this.#buf, d]); this.#wake?.() })
    this.socket.on('close', () => { this.#closed = true; this.#wake?.() })
  }

  get closed (): boolean { return this.#closed }

  async #until (ready: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000
    while (!ready()) {
      if (this.#closed) throw new Error(`connection closed while waiting for ${what}`)
      if (Date.now() > deadline) throw new Error(`no ${what} within 5 s`)
      await new Promise<void>(resolve => { this.#wake = resolve; setTimeout(resolve, 100).unref() })
    }
  }

  async request (text: string): Promise<RawResponse> {
    this.socket.write(text)
    await this.#until(() => this.#buf.includes('\r\n\r\n'), 'response head')
    const end = this.#buf.indexOf('\r\n\r\n')
    const head = this.#buf.subarray(0, end).toString('latin1')
    const [statusLine, ...lines] = head.split('\r\n')
    const headers: Record<string, string> = {}
    for (const l of lines) {
      const i = l.indexOf(':')
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim()
    }
    const length = Number(headers['content-length'] ?? 0)
    await this.#until(() => this.#buf.length >= end + 4 + length, 'response body')
    const body = this.#buf.subarray(end + 4, end + 4 + length).toString()
    this.#buf = this.#buf.subarray(end + 4 + length)
    return { status: Number(statusLine.split(' ')[1]), headers, body, head }
  }

  async waitClosed (): Promise<void> { await this.#until(() => this.#closed, 'close') }

  close (): void { this.socket.destroy() }
}
