// The socks:// client kind: socks://[user:pass@]proxy:port/target-host:target-port.
//   open()    connects to the proxy, runs the SOCKS5 CONNECT handshake and resolves with that
//             same socket (half-close works end to end when the proxy relays FIN)
//   listen()  not supported: this is a client kind (BIND is not offered)
// A domain target is sent to the proxy as a domain, so the proxy resolves it (socks5h semantics):
// that is what a proxy into another network needs. One bound covers connect and handshake.
import net from 'node:net'
import type { Tunnel, TunnelDeps, TunnelListener, TunnelStream, OpenOptions } from '../tunnel/types.ts'
import { dialSocket, DEFAULT_CONNECT_TIMEOUT_MS } from '../tunnel/socket-dial.ts'
import { socketStream } from '../tunnel/socket-stream.ts'
import { hostOf, targetOf } from '../tunnel/url.ts'
import { TUN_ERR_ABORTED, TUN_ERR_CONNECT_TIMEOUT, TUN_ERR_INVALID_URL, TUN_ERR_NOT_SUPPORTED } from '../tunnel/errors.ts'
import type { SocksAddress } from './types.ts'
import { addressFromHostPort } from './address.ts'
import { socksConnect } from './client.ts'
import type { SocksCredentials } from './client.ts'

export interface SocksTunnelOptions {
  /** Bound on connecting to the proxy plus the whole handshake; 0 waits for the OS. @default 30000 */
  connectTimeoutMs?: number
}

export interface SocksUrl {
  proxy: { host: string, port: number }
  target: SocksAddress
  credentials?: SocksCredentials
}

/** Proxy, target and credentials of a socks:// URL; TUN_ERR_INVALID_URL when a part is missing. */
export function parseSocksUrl (url: URL): SocksUrl {
  const host = hostOf(url)
  if (host === '') throw new TUN_ERR_INVALID_URL(url.href, 'missing proxy host')
  if (url.port === '') throw new TUN_ERR_INVALID_URL(url.href, 'missing proxy port')
  const t = targetOf(url)
  if (t.kind !== 'host') throw new TUN_ERR_INVALID_URL(url.href, 'socks:// URLs need a /host:port target')
  let credentials: SocksCredentials | undefined
  if (url.username !== '' || url.password !== '') {
    try {
      credentials = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    } catch (err) {
      throw new TUN_ERR_INVALID_URL(url.href, 'bad percent-encoding in credentials', { cause: err })
    }
  }
  let target: SocksAddress
  try {
    target = addressFromHostPort(t.host, t.port)
  } catch (err) {
    throw new TUN_ERR_INVALID_URL(url.href, `bad target "${t.host}"`, { cause: err })
  }
  return { proxy: { host, port: Number(url.port) }, target, ...(credentials != null ? { credentials } : {}) }
}

export function socksTunnel (_deps: TunnelDeps, options: SocksTunnelOptions = {}): Tunnel {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  return {
    scheme: 'socks',
    async open (url: URL, { signal }: OpenOptions): Promise<TunnelStream> {
      const { proxy, target, credentials } = parseSocksUrl(url)
      const deadline = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined
      const bounded = deadline != null ? AbortSignal.any([signal, deadline]) : signal
      const socket = await dialSocket(url, () => net.connect({ host: proxy.host, port: proxy.port, allowHalfOpen: true, noDelay: true }),
        { signal, timeoutMs, readyEvent: 'connect' })
      try {
        await socksConnect(socket, { target, credentials, signal: bounded, proxy: `${url.host}` })
      } catch (err) {
        // Which of the two signals fired decides between the caller's abort and our timeout.
        if (signal.aborted) throw new TUN_ERR_ABORTED(url.href, { cause: signal.reason })
        if (deadline?.aborted === true) throw new TUN_ERR_CONNECT_TIMEOUT(url.href, timeoutMs)
        throw err
      }
      return socketStream(socket, 'socks', url)
    },
    async listen (url: URL): Promise<TunnelListener> {
      throw new TUN_ERR_NOT_SUPPORTED('socks://', `listen (${url.href}): it is a client kind`)
    }
  }
}
