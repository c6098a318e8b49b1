// The internal:// kind: streams to handlers in this process, reached by name. open('internal://api')
// makes a stream.duplexPair(), hands one end to the handler registered as "api" and returns the
// other, so a chain route can forward or http_proxy to an in-process server (the SN's API, a
// node:http Server fed with `server.emit('connection', end)`) without a port. Names live in the
// tunnel instance (no module-level state). listen() is not supported: handlers register instead.
//
// duplexPair passes FIN both ways but not destroy; a side torn down before it ended cleanly resets
// the other (TUN_ERR_INTERNAL_RESET), as a peer's RST would on a socket.
import { duplexPair, type Duplex } from 'node:stream'
import type { Tunnel, TunnelListener, TunnelStream, OpenOptions } from '../types.ts'
import { TUN_ERR_ABORTED, TUN_ERR_CONNECT_REFUSED, TUN_ERR_INVALID_URL, TUN_ERR_NOT_SUPPORTED } from '../errors.ts'
import { TUN_ERR_INTERNAL_BAD_NAME, TUN_ERR_INTERNAL_DUPLICATE, TUN_ERR_INTERNAL_RESET } from './errors.ts'

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

export type InternalHandler = (stream: Duplex) => void

export interface InternalTunnel {
  tunnel: Tunnel
  /** Serve `internal://<name>` with `onConnection`; returns the function that unregisters it. */
  register (name: string, onConnection: InternalHandler): () => void
}

let nextId = 0

/** Destroying one end (before both of its directions ended) resets the other. */
function linkResets (a: Duplex, b: Duplex, label: string): void {
  const pass = (from: Duplex, to: Duplex): void => {
    from.once('close', () => {
      if (to.destroyed) return
      const clean = from.errored == null && from.readableEnded && from.writableFinished
      if (!clean) to.destroy(new TUN_ERR_INTERNAL_RESET(label))
    })
  }
  pass(a, b)
  pass(b, a)
}

function asTunnelStream (d: Duplex, id: string, local: URL, remote: URL): TunnelStream {
  return Object.assign(d, { id, localUrl: local, remoteUrl: remote }) as TunnelStream
}

export function internalTunnel (): InternalTunnel {
  const handlers = new Map<string, InternalHandler>()
  const tunnel: Tunnel = {
    scheme: 'internal',
    async open (url: URL, { signal }: OpenOptions): Promise<TunnelStream> {
      if (signal.aborted) throw new TUN_ERR_ABORTED(url.href, { cause: signal.reason })
      const name = url.hostname
      if (name === '') throw new TUN_ERR_INVALID_URL(url.href, 'internal:// URLs need a name: internal://<name>')
      const handler = handlers.get(name.toLowerCase())
      if (handler == null) throw new TUN_ERR_CONNECT_REFUSED(url.href)
      const [client, server] = duplexPair()
      const id = `internal-${++nextId}`
      linkResets(client, server, `${url.href} (${id})`)
      const remote = new URL(`internal://${name}`)
      const local = new URL(`internal://client-${nextId}`)
      try {
        handler(asTunnelStream(server, id, remote, local))
      } catch (err) {
        client.destroy()
        server.destroy()
        throw new TUN_ERR_CONNECT_REFUSED(url.href, { cause: err })
      }
      return asTunnelStream(client, id, local, remote)
    },
    async listen (url: URL): Promise<TunnelListener> {
      throw new TUN_ERR_NOT_SUPPORTED('internal://', `listen (${url.href}); register a handler instead`)
    },
    async close (): Promise<void> {
      handlers.clear()
    }
  }
  return {
    tunnel,
    register (name, onConnection) {
      if (!NAME.test(name)) throw new TUN_ERR_INTERNAL_BAD_NAME(JSON.stringify(name))
      // URL hosts are lower-cased by the URL parser, so names are keyed that way too.
      const key = name.toLowerCase()
      if (handlers.has(key)) throw new TUN_ERR_INTERNAL_DUPLICATE(name)
      handlers.set(key, onConnection)
      return () => {
        if (handlers.get(key) === onConnection) handlers.delete(key)
      }
    }
  }
}
