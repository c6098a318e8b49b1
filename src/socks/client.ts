// The SOCKS5 client handshake (RFC 1928 CONNECT and UDP ASSOCIATE, RFC 1929 username/password)
// over a socket that is already connected to the proxy. On success the socket is left as the
// caller got it, with any bytes the proxy sent after its reply pushed back (unshift), so the
// caller reads them first.
// The handshake reads with 'readable' + read() rather than 'data': removing a 'data' listener and
// pausing would leave the stream explicitly paused, and a later on('data') would never resume it.
import dgram from 'node:dgram'
import type net from 'node:net'
import type { GatewayError } from '../core/errors.ts'
import { TUN_ERR_CONNECT_REFUSED, TUN_ERR_UNREACHABLE } from '../tunnel/errors.ts'
import type { Decoded, Reply, Request, SocksAddress } from './types.ts'
import { AUTH_METHODS, REPLY_CODES } from './types.ts'
import { decodeAuthReply, decodeMethodSelection, decodeReply, decodeUdpDatagram } from './decode.ts'
import { encodeAuthRequest, encodeGreeting, encodeRequest, encodeUdpDatagram } from './encode.ts'
import { formatAddress } from './address.ts'
import { SOCKS_ERR_AUTH_FAILED, SOCKS_ERR_NO_ACCEPTABLE_METHOD, SOCKS_ERR_PROXY_CLOSED, SOCKS_ERR_REQUEST_FAILED } from './errors.ts'

export { SOCKS_ERR_AUTH_FAILED, SOCKS_ERR_NO_ACCEPTABLE_METHOD, SOCKS_ERR_PROXY_CLOSED, SOCKS_ERR_REQUEST_FAILED }

export interface SocksCredentials { username: string, password: string }

export interface SocksHandshakeOptions {
  /** What the proxy should connect to; a domain is sent as a domain (resolved by the proxy). */
  target: SocksAddress
  /** Offer username/password (RFC 1929) as well as no-auth. */
  credentials?: SocksCredentials
  /** Abandons the handshake: it rejects with `signal.reason` and the socket is destroyed. */
  signal: AbortSignal
  /** Names the proxy in error messages. @default the socket's remote address */
  proxy?: string
}

const REPLY_NAMES = new Map<number, string>(Object.entries(REPLY_CODES).map(([name, code]) => [code, name.toLowerCase().replaceAll('_', ' ')]))

/** The coded error for a non-success reply: tunnel codes where they fit, the SOCKS reply as cause. */
export function replyError (code: number, proxy: string, target: string, what = `connect to ${target}`): GatewayError {
  const hex = code.toString(16).padStart(2, '0')
  const socksErr = new SOCKS_ERR_REQUEST_FAILED(proxy, what, hex, REPLY_NAMES.get(code) ?? 'unassigned')
  if (code === REPLY_CODES.CONNECTION_REFUSED) return new TUN_ERR_CONNECT_REFUSED(`${target} (via ${proxy})`, { cause: socksErr })
  if (code === REPLY_CODES.NETWORK_UNREACHABLE || code === REPLY_CODES.HOST_UNREACHABLE) {
    return new TUN_ERR_UNREACHABLE(`${target} (via ${proxy}, reply 0x${hex})`, { cause: socksErr })
  }
  return socksErr // general failure, not allowed, TTL expired, unsupported command/address type
}

/**
 * Reads whole messages off a socket during a handshake. `next(decode)` resolves with the next
 * message; bytes after it stay in #buf for the following message or for `release()`.
 */
class HandshakeReader {
  readonly #socket: net.Socket
  readonly #proxy: string
  readonly #signal: AbortSignal
  #buf: Buffer = Buffer.alloc(0)

  constructor (socket: net.Socket, proxy: string, signal: AbortSignal) {
    this.#socket = socket
    this.#proxy = proxy
    this.#signal = signal
  }

  next<T> (decode: (buf: Buffer) => Decoded<T>): Promise<T> {
    const socket = this.#socket
    return new Promise<T>((resolve, reject) => {
      const cleanup = (): void => {
        socket.off('readable', onReadable)
        socket.off('end', onEnd)
        socket.off('close', onEnd)
        socket.off('error', onError)
        this.#signal.removeEventListener('abort', onAbort)
      }
      const fail = (err: unknown): void => { cleanup(); reject(err) }
      const tryDecode = (): boolean => {
        const d = decode(this.#buf) // throws coded SOCKS_ERR_* on malformed input
        if (d.status === 'need_more') return false
        this.#buf = this.#buf.subarray(d.bytes)
        cleanup()
        resolve(d.value)
        return true
      }
      const onReadable = (): void => {
        try {
          let chunk: Buffer | null
          while ((chunk = socket.read() as Buffer | null) != null) {
            this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
            if (tryDecode()) return
          }
        } catch (err) { fail(err) }
      }
      const onEnd = (): void => { fail(new SOCKS_ERR_PROXY_CLOSED(this.#proxy)) }
      const onError = (err: Error): void => { fail(err) }
      const onAbort = (): void => { fail(this.#signal.reason) }
      if (this.#signal.aborted) { reject(this.#signal.reason); return }
      try {
        if (tryDecode()) return // a previous read may already hold this message
      } catch (err) { reject(err); return }
      socket.on('readable', onReadable)
      socket.once('end', onEnd)
      socket.once('close', onEnd)
      socket.once('error', onError)
      this.#signal.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Give the bytes read past the last message back to the socket's readers. */
  release (): void {
    if (this.#buf.length > 0) this.#socket.unshift(this.#buf)
    this.#buf = Buffer.alloc(0)
  }
}

/** Greeting, method selection and (if chosen) RFC 1929 auth. */
async function negotiate (socket: net.Socket, reader: HandshakeReader, proxy: string, credentials?: SocksCredentials): Promise<void> {
  const methods: number[] = [AUTH_METHODS.NO_AUTH]
  if (credentials != null) methods.push(AUTH_METHODS.USERNAME_PASSWORD)
  socket.write(encodeGreeting({ methods }))
  const { method } = await reader.next(decodeMethodSelection)
  if (!methods.includes(method)) {
    // 0xff, or a method we never offered (a proxy that insists on GSSAPI, say).
    throw new SOCKS_ERR_NO_ACCEPTABLE_METHOD(proxy, methods.map(m => `0x${m.toString(16).padStart(2, '0')}`).join(', '))
  }
  if (method === AUTH_METHODS.USERNAME_PASSWORD && credentials != null) {
    socket.write(encodeAuthRequest(credentials))
    const { status } = await reader.next(decodeAuthReply)
    if (status !== 0) throw new SOCKS_ERR_AUTH_FAILED(proxy, status)
  }
}

/** Negotiate, send one request, read its reply; the shared part of CONNECT and UDP ASSOCIATE. */
async function handshake (socket: net.Socket, options: SocksHandshakeOptions, command: Request['command'], what: string): Promise<Reply> {
  const proxy = options.proxy ?? `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`
  const reader = new HandshakeReader(socket, proxy, options.signal)
  // An error emitted between our listeners (or after we give up) must not become uncaught.
  const swallow = (): void => {}
  socket.on('error', swallow)
  try {
    await negotiate(socket, reader, proxy, options.credentials)
    socket.write(encodeRequest({ command, target: options.target }))
    const reply = await reader.next(decodeReply)
    if (reply.code !== REPLY_CODES.SUCCEEDED) throw replyError(reply.code, proxy, formatAddress(options.target), what)
    reader.release()
    socket.off('error', swallow)
    return reply
  } catch (err) {
    socket.destroy()
    throw err
  }
}

/**
 * Run the CONNECT handshake on `socket` (connected to the proxy). Resolves with the proxy's
 * success reply (`bound` is the proxy's outgoing address); the socket then carries the target's
 * bytes. On any failure the socket is destroyed and the promise rejects with a coded error
 * (see replyError), a codec SOCKS_ERR_*, the socket's own error, or `signal.reason`.
 */
export async function socksConnect (socket: net.Socket, options: SocksHandshakeOptions): Promise<Reply> {
  return await handshake(socket, options, 'connect', `connect to ${formatAddress(options.target)}`)
}

export interface SocksUdpAssociation {
  /** Where our datagrams go: the proxy's relay (BND.ADDR, or the proxy's address if unspecified). */
  readonly relay: { host: string, port: number }
  /** Send `data` to `target` through the relay (FRAG 0; fragmentation is not used). */
  send (data: Buffer, target: SocksAddress): void
  /** Datagrams relayed back: payload and who sent it. Others' datagrams, bad ones and fragments are dropped. */
  onMessage (fn: (data: Buffer, from: SocksAddress) => void): void
  /** The association ends with its control connection (RFC 1928 §7): resolves when closed. */
  readonly closed: Promise<void>
  close (): void
}

const UNSPECIFIED = new Set(['0.0.0.0', '::'])

/**
 * UDP ASSOCIATE over `control` (connected to the proxy). Binds a UDP socket on the control
 * connection's local address, announces it as DST (so the proxy can restrict the source), and
 * resolves once the proxy names its relay. `options.target` is ignored (it is the UDP socket).
 */
export async function socksUdpAssociate (control: net.Socket, options: Omit<SocksHandshakeOptions, 'target'>): Promise<SocksUdpAssociation> {
  const local = control.localAddress ?? '127.0.0.1'
  const v6 = control.localFamily === 'IPv6'
  const udp = dgram.createSocket(v6 ? 'udp6' : 'udp4')
  udp.on('error', () => {}) // a send to a vanished relay must not crash; the control connection decides liveness
  try {
    await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(0, local, () => { udp.off('error', reject); resolve() }) })
    const target: SocksAddress = { type: v6 ? 'ipv6' : 'ipv4', host: local, port: udp.address().port }
    const reply = await handshake(control, { ...options, target }, 'udp_associate', 'associate UDP')
    const host = reply.bound.type !== 'domain' && UNSPECIFIED.has(reply.bound.host) ? control.remoteAddress ?? reply.bound.host : reply.bound.host
    const relay = { host, port: reply.bound.port }
    const listeners: Array<(data: Buffer, from: SocksAddress) => void> = []
    udp.on('message', (msg, rinfo) => {
      if (reply.bound.type !== 'domain' && (rinfo.address !== relay.host || rinfo.port !== relay.port)) return
      let d
      try { d = decodeUdpDatagram(msg) } catch { return } // malformed: dropped like any bad datagram
      if (d.frag !== 0) return
      for (const fn of listeners) fn(d.data, d.target)
    })
    let resolveClosed!: () => void
    const closed = new Promise<void>(resolve => { resolveClosed = resolve })
    let open = true
    const close = (): void => {
      if (!open) return
      open = false
      udp.close()
      control.destroy()
      resolveClosed()
    }
    control.on('error', () => {})
    control.once('close', close)
    control.once('end', close) // with allowHalfOpen a FIN alone would not close the socket
    control.resume() // the proxy sends nothing more here; reading notices its FIN
    return {
      relay,
      closed,
      close,
      send (data: Buffer, to: SocksAddress): void {
        if (open) udp.send(encodeUdpDatagram({ frag: 0, target: to, data }), relay.port, relay.host)
      },
      onMessage (fn): void { listeners.push(fn) }
    }
  } catch (err) {
    udp.close()
    control.destroy()
    throw err
  }
}
