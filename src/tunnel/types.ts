// Interfaces of the tunnel framework. A tunnel kind registers a URL scheme, opens streams and
// listens for them. Streams are Node Duplex streams: backpressure and half-close come from Duplex.
import type { Duplex } from 'node:stream'
import type { Logger } from '../core/logger.ts'

export interface TunnelStream extends Duplex {
  /** Unique within the process, for logs. */
  readonly id: string
  readonly localUrl: URL
  readonly remoteUrl: URL
}

export interface OpenOptions {
  /** Required: every open can be abandoned. Aborting before or during open gives TUN_ERR_ABORTED. */
  signal: AbortSignal
}

export interface ListenOptions {
  signal?: AbortSignal
}

export interface TunnelListener extends AsyncDisposable {
  /** The bound address, with port 0 resolved to the real port. */
  readonly url: URL
  /** Accepted streams, in arrival order. Ends when the listener closes. */
  accept(options?: { signal?: AbortSignal }): AsyncIterable<TunnelStream>
  /** Stop accepting; streams already accepted are untouched. */
  close(): Promise<void>
}

export interface Tunnel {
  /** URL scheme without the colon: 'tcp', 'tls', 'rtcp', 'mem', ... */
  readonly scheme: string
  open(url: URL, options: OpenOptions): Promise<TunnelStream>
  listen(url: URL, options?: ListenOptions): Promise<TunnelListener>
  /** Release everything the kind holds (listeners, sessions). Idempotent. */
  close?(): Promise<void>
}

export interface TunnelDeps {
  logger: Logger
}

export type TunnelFactory = (deps: TunnelDeps) => Tunnel

/** What the path part of a tunnel URL asks the far side to reach. */
export type TunnelTarget =
  | { kind: 'port', port: number } //               /:8080  (a port on the peer's default host)
  | { kind: 'host', host: string, port: number } // /host:port  (IPv6 as [::1]:port)
  | { kind: 'name', name: string } //               /name  (a named listener on the peer)
  | { kind: 'url', url: URL } //                    /<nested URL>  the next hop opens it
  | { kind: 'none' } //                             no path
