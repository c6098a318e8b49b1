// A net.Socket (or tls.TLSSocket) is already the Duplex a TunnelStream must be: backpressure comes
// from the kernel buffers and half-close from allowHalfOpen. So we attach id, localUrl and
// remoteUrl to the socket itself instead of wrapping it, keeping zero copies and keeping Node's
// own ECONNRESET/EPIPE errors, which is how a TCP peer's destroy() surfaces.
import type net from 'node:net'
import type { TunnelStream } from './types.ts'

let nextId = 0

/** `scheme://address:port`, brackets around IPv6; `fallback` when the socket has no address. */
export function endpointUrl (scheme: string, address: string | undefined, port: number | undefined, fallback?: URL): URL {
  if (address == null || port == null) return fallback ?? new URL(`${scheme}://unknown`)
  return new URL(`${scheme}://${address.includes(':') ? `[${address}]` : address}:${port}`)
}

/**
 * Make `socket` a TunnelStream in place. The socket must have been created with
 * allowHalfOpen: true, or ending one direction would close the other.
 * `dialed` is the URL that was opened, used when the socket no longer knows its peer.
 */
export function socketStream (socket: net.Socket, scheme: string, dialed?: URL): TunnelStream {
  Object.defineProperties(socket, {
    id: { value: `${scheme}-${process.pid}-${++nextId}`, enumerable: true },
    localUrl: { value: endpointUrl(scheme, socket.localAddress, socket.localPort), enumerable: true },
    remoteUrl: { value: endpointUrl(scheme, socket.remoteAddress, socket.remotePort, dialed), enumerable: true }
  })
  return socket as unknown as TunnelStream
}
