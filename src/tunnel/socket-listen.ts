// Listening with a net.Server or tls.Server for the tcp and tls kinds: bind, report the real
// address (port 0 resolved), feed accepted sockets into a bounded ListenerQueue.
import type net from 'node:net'
import type { Logger } from '../core/logger.ts'
import { ListenerQueue } from './listener-queue.ts'
import { endpointOf } from './socket-dial.ts'
import { endpointUrl, socketStream } from './socket-stream.ts'
import { TUN_ERR_ABORTED, TUN_ERR_ADDRESS_IN_USE } from './errors.ts'

export interface SocketListenOptions {
  scheme: string
  /** 'connection' for tcp; 'secureConnection' for tls, so consumers only see finished handshakes. */
  acceptEvent: 'connection' | 'secureConnection'
  logger: Logger
  signal?: AbortSignal
  maxPending?: number
}

function aborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

export async function listenSocketServer (server: net.Server, url: URL, options: SocketListenOptions): Promise<ListenerQueue> {
  const { scheme, acceptEvent, logger, signal } = options
  if (aborted(signal)) throw new TUN_ERR_ABORTED(url.href, { cause: signal?.reason })
  const { host, port } = endpointOf(url, true)
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error & { code?: string }): void => {
      reject(err.code === 'EADDRINUSE' ? new TUN_ERR_ADDRESS_IN_USE(url.href, { cause: err }) : err)
    }
    server.once('error', onError)
    server.listen({ host, port }, () => { server.off('error', onError); resolve() })
  })
  if (aborted(signal)) { // aborted while binding
    server.close()
    throw new TUN_ERR_ABORTED(url.href, { cause: signal?.reason })
  }
  const addr = server.address() as net.AddressInfo
  const bound = endpointUrl(scheme, addr.address, addr.port)
  const log = logger.child({ url: bound.href })
  // net.Server.close() closes the listening fd at once (new connects are refused from here on);
  // its callback waits for accepted sockets, which belong to the consumer, so we do not wait.
  const queue = new ListenerQueue(bound, () => { server.close() }, { maxPending: options.maxPending, logger: log })
  server.on(acceptEvent, (socket: net.Socket) => {
    socket.setNoDelay(true)
    queue.push(socketStream(socket, scheme))
  })
  // Accept failures (EMFILE, ...) arrive here after listening; the listener keeps going.
  server.on('error', (err) => { log.warn({ err }, 'listener error') })
  log.debug('listening')
  return queue
}
