// The tcp:// kind: tcp://host:port, IPv6 as tcp://[::1]:port.
//   open()    connects with Nagle off (tunnels carry interactive traffic) and half-close on
//   listen()  binds (port 0 = any free port; the listener's url has the real one)
// A peer's destroy() surfaces as Node's own socket errors (ECONNRESET, or EPIPE on the next write).
import net from 'node:net'
import type { Tunnel, TunnelDeps, TunnelListener, TunnelStream, OpenOptions, ListenOptions } from '../types.ts'
import { dialSocket, endpointOf, DEFAULT_CONNECT_TIMEOUT_MS } from '../socket-dial.ts'
import { listenSocketServer } from '../socket-listen.ts'
import { socketStream } from '../socket-stream.ts'

export interface TcpTunnelOptions {
  /** Give up on a connect after this long with TUN_ERR_CONNECT_TIMEOUT; 0 waits for the OS. @default 30000 */
  connectTimeoutMs?: number
  /** Accepted streams that may wait for a consumer per listener. @default 128 */
  maxPendingAccepts?: number
}

export function tcpTunnel (deps: TunnelDeps, options: TcpTunnelOptions = {}): Tunnel {
  const log = deps.logger.child({ mod: 'tunnel.tcp' })
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const listeners = new Set<TunnelListener>()
  return {
    scheme: 'tcp',
    async open (url: URL, { signal }: OpenOptions): Promise<TunnelStream> {
      const { host, port } = endpointOf(url)
      const socket = await dialSocket(url, () => net.connect({ host, port, allowHalfOpen: true, noDelay: true }), { signal, timeoutMs, readyEvent: 'connect' })
      return socketStream(socket, 'tcp', url)
    },
    async listen (url: URL, listenOptions: ListenOptions = {}): Promise<TunnelListener> {
      const server = net.createServer({ allowHalfOpen: true, noDelay: true })
      const queue = await listenSocketServer(server, url, {
        scheme: 'tcp', acceptEvent: 'connection', logger: log, signal: listenOptions.signal, maxPending: options.maxPendingAccepts
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
