// Server-side TLS over an accepted stream. The chain has already peeked at the ClientHello and
// unshift()-ed it back; node's TLSSocket feeds bytes buffered in the wrapped socket to OpenSSL
// first, so the handshake sees the whole hello. Certificates come from the CertStore through
// SNICallback; the first certificate also answers clients without SNI.
import { TLSSocket, type SecureContext } from 'node:tls'
import type { Duplex } from 'node:stream'
import type { CertStore } from './cert-store.ts'
import { CHAIN_ERR_TLS_ABORTED, CHAIN_ERR_TLS_CERT_UNAVAILABLE, CHAIN_ERR_TLS_HANDSHAKE_FAILED, CHAIN_ERR_TLS_HANDSHAKE_TIMEOUT } from './errors.ts'

export interface TerminateOptions {
  store: CertStore
  /** Protocols we accept, in our order of preference; [] disables ALPN. */
  alpn: readonly string[]
  handshakeTimeoutMs: number
  signal?: AbortSignal
}

/** Resolves once the handshake is done; on failure, timeout or abort destroys the stream and rejects with a coded error. */
export async function terminateTls (stream: Duplex, options: TerminateOptions): Promise<TLSSocket> {
  const { store, alpn, handshakeTimeoutMs, signal } = options
  if (signal?.aborted === true) {
    stream.destroy()
    throw new CHAIN_ERR_TLS_ABORTED({ cause: signal.reason })
  }
  // A live store (ACME) throws until its certificate is issued: the client is refused, coded.
  const unavailable = (err: unknown): Error => new CHAIN_ERR_TLS_CERT_UNAVAILABLE((err as { code?: string }).code ?? (err as Error).message, { cause: err })
  let fallback: SecureContext
  try {
    fallback = store.select(undefined)
  } catch (err) {
    stream.destroy()
    throw unavailable(err)
  }
  let sniFailure: Error | undefined
  const socket = new TLSSocket(stream, {
    isServer: true,
    secureContext: fallback,
    SNICallback: (name, cb) => {
      try {
        cb(null, store.select(name))
      } catch (err) {
        sniFailure = unavailable(err)
        cb(sniFailure)
      }
    },
    ...(alpn.length > 0 ? { ALPNProtocols: [...alpn] } : {})
  })
  return await new Promise<TLSSocket>((resolve, reject) => {
    const settle = (err?: Error): void => {
      clearTimeout(timer)
      socket.off('secure', onSecure)
      socket.off('error', onError)
      socket.off('close', onClose)
      signal?.removeEventListener('abort', onAbort)
      if (err === undefined) { resolve(socket); return }
      // Swallow late errors from the dying socket: the caller has its error already.
      socket.on('error', () => {})
      socket.destroy()
      stream.destroy()
      reject(err)
    }
    const onSecure = (): void => settle()
    const onError = (err: Error): void => settle(sniFailure ?? new CHAIN_ERR_TLS_HANDSHAKE_FAILED((err as { code?: string }).code ?? err.message, { cause: err }))
    const onClose = (): void => settle(new CHAIN_ERR_TLS_HANDSHAKE_FAILED('the client closed the connection'))
    const onAbort = (): void => settle(new CHAIN_ERR_TLS_ABORTED({ cause: signal?.reason }))
    const timer = setTimeout(() => settle(new CHAIN_ERR_TLS_HANDSHAKE_TIMEOUT(handshakeTimeoutMs)), handshakeTimeoutMs)
    socket.once('secure', onSecure)
    socket.once('error', onError)
    socket.once('close', onClose)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
