// An HTTP handler of this process reached as internal://<name> from the chains: a node:http
// Server that listens nowhere and is fed the streams the internal:// kind hands it. Used for an
// SN's API and a node's system_config and verify_hub.
import http from 'node:http'
import type { InternalTunnel } from '../tunnel/internal/index.ts'

export interface InternalHttp {
  server: http.Server
  /** Unregister the name and end its connections. */
  close(): void
}

export function serveInternalHttp (internal: InternalTunnel, name: string, handler: http.RequestListener, options: { requestTimeoutMs: number }): InternalHttp {
  const server = http.createServer(handler)
  server.headersTimeout = 10_000
  server.requestTimeout = options.requestTimeoutMs
  const unregister = internal.register(name, (stream) => { server.emit('connection', stream) })
  return {
    server,
    close () {
      unregister()
      server.closeAllConnections()
    }
  }
}
