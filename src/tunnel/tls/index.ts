// The tls:// kind: tcp with TLS on top, same URL grammar and semantics as tcp://.
//   open()    verifies the server as options.client says; SNI is the URL host unless it is an IP
//             address (SNI carries names only, RFC 6066 section 3)
//   listen()  needs options.server (key and cert, or SNICallback); consumers only ever see
//             streams whose handshake has finished
// connectTimeoutMs covers the TCP connect and the handshake. TLS failures keep Node's own codes.
import net from 'node:net'
import tls from 'node:tls'
import type { Tunnel, TunnelDeps, TunnelListener, TunnelStream, OpenOptions, ListenOptions } from '../types.ts'
import { dialSocket, endpointOf, DEFAULT_CONNECT_TIMEOUT_MS } from '../socket-dial.ts'
import { listenSocketServer } from '../socket-listen.ts'
import { socketStream } from '../socket-stream.ts'
import { TUN_ERR_NOT_SUPPORTED } from '../errors.ts'

export interface TlsTunnelOptions {
  client?: tls.ConnectionOptions
  server?: tls.TlsOptions
  /** Give up on connect plus handshake after this long with TUN_ERR_CONNECT_TIMEOUT; 0 = never. @default 30000 */
  connectTimeoutMs?: number
  /** Accepted streams that may wait for a consumer per listener. @default 128 */
  maxPendingAccepts?: number
}

export function tlsTunnel (deps: TunnelDeps, options: TlsTunnelOptions = {}): Tunnel {
  const log = deps.logger.child({ mod: 'tunnel.tls' })
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const listeners = new Set<TunnelListener>()
  return {
    scheme: 'tls',
    async open (url: URL, { signal }: OpenOptions): Promise<TunnelStream> {
      const { host, port } = endpointOf(url)
      const servername = net.isIP(host) === 0 ? host : options.client?.servername
      // allowHalfOpen reaches the TLSSocket at run time; @types/node does not declare it here.
      const connectOptions: tls.ConnectionOptions & { allowHalfOpen: boolean } = { ...options.client, host, port, servername, allowHalfOpen: true }
      const create = (): tls.TLSSocket => tls.connect(connectOptions)
      const socket = await dialSocket(url, create, { signal, timeoutMs, readyEvent: 'secureConnect' })
      socket.setNoDelay(true)
      return socketStream(socket, 'tls', url)
    },
    async listen (url: URL, listenOptions: ListenOptions = {}): Promise<TunnelListener> {
      if (options.server == null) throw new TUN_ERR_NOT_SUPPORTED('a tls tunnel without server options', `listen on ${url.href}`)
      // Half-open is switched on per socket once its handshake is done: a server socket created
      // half-open never closes when its client vanishes mid-handshake (it waits out the 120 s
      // handshakeTimeout holding its handle), while a plain one fails with tlsClientError at once.
      const server = tls.createServer({ ...options.server, allowHalfOpen: false })
      server.prependListener('secureConnection', (socket: tls.TLSSocket) => { socket.allowHalfOpen = true })
      // A failed handshake is the client's problem, not the listener's: note it and go on.
      server.on('tlsClientError', (err) => { log.debug({ err: { code: (err as { code?: string }).code, message: err.message } }, 'tls handshake failed') })
      const queue = await listenSocketServer(server, url, {
        scheme: 'tls', acceptEvent: 'secureConnection', logger: log, signal: listenOptions.signal, maxPending: options.maxPendingAccepts
      })
      listeners.add(queue)
      server.once('close', () => listeners.delete(queue))
      return queue
    },
    async close (): Promise<void> {
      for (const l of [...listeners]) { listeners.delete(l); await l.close() }
    }
  }
}
