// The mem:// kind: in-process streams for unit tests of chain, socks and anything else that
// needs a tunnel without sockets. listen('mem://name') and open('mem://name'); names live in
// this tunnel instance (no module-level state), so tests cannot see each other's listeners.
// Stream semantics (backpressure, half-close, peer destroy as ECONNRESET): see memory-stream.ts.
import type { Tunnel, TunnelDeps, TunnelListener, TunnelStream, OpenOptions, ListenOptions } from '../types.ts'
import { ListenerQueue } from '../listener-queue.ts'
import { MemoryStream, DEFAULT_MEMORY_HIGH_WATER_MARK } from './memory-stream.ts'
import { TUN_ERR_ABORTED, TUN_ERR_ADDRESS_IN_USE, TUN_ERR_CONNECT_REFUSED, TUN_ERR_INVALID_URL } from '../errors.ts'

export interface MemoryTunnelOptions {
  /** Per-direction buffer of each stream end. @default 65536 */
  highWaterMark?: number
  /** Accepted streams that may wait for a consumer per listener. @default 128 */
  maxPendingAccepts?: number
}

function nameOf (url: URL): string {
  if (url.hostname === '') throw new TUN_ERR_INVALID_URL(url.href, 'mem:// URLs need a name: mem://<name>')
  return url.hostname
}

// A connect in-process would otherwise finish before open() returns. Taking one turn of the event
// loop, as a real connect does, lets an abort issued while open() is pending win, so callers see
// the same TUN_ERR_ABORTED they would see with sockets.
function connectTurn (url: URL, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearImmediate(turn)
      reject(new TUN_ERR_ABORTED(url.href, { cause: signal.reason }))
    }
    const turn = setImmediate(() => { signal.removeEventListener('abort', onAbort); resolve() })
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

export function memoryTunnel (deps: TunnelDeps, options: MemoryTunnelOptions = {}): Tunnel {
  const log = deps.logger.child({ mod: 'tunnel.mem' })
  const hwm = options.highWaterMark ?? DEFAULT_MEMORY_HIGH_WATER_MARK
  const listeners = new Map<string, ListenerQueue>()
  let nextClient = 0
  return {
    scheme: 'mem',
    async open (url: URL, { signal }: OpenOptions): Promise<TunnelStream> {
      const name = nameOf(url)
      if (signal.aborted) throw new TUN_ERR_ABORTED(url.href, { cause: signal.reason })
      await connectTurn(url, signal)
      const listener = listeners.get(name)
      if (listener == null) throw new TUN_ERR_CONNECT_REFUSED(url.href)
      const [client, server] = MemoryStream.pair(new URL(`mem://client-${++nextClient}`), listener.url, hwm)
      if (!listener.push(server)) {
        // The shed server end reset our end; that reset is reported as the refusal below.
        client.on('error', () => {})
        client.destroy()
        throw new TUN_ERR_CONNECT_REFUSED(url.href)
      }
      return client
    },
    async listen (url: URL, listenOptions: ListenOptions = {}): Promise<TunnelListener> {
      const name = nameOf(url)
      if (listenOptions.signal?.aborted === true) throw new TUN_ERR_ABORTED(url.href, { cause: listenOptions.signal.reason })
      if (listeners.has(name)) throw new TUN_ERR_ADDRESS_IN_USE(url.href)
      const bound = new URL(`mem://${name}`)
      const queue: ListenerQueue = new ListenerQueue(bound, () => {
        if (listeners.get(name) === queue) listeners.delete(name)
      }, { maxPending: options.maxPendingAccepts, logger: log.child({ url: bound.href }) })
      listeners.set(name, queue)
      return queue
    },
    async close (): Promise<void> {
      for (const l of [...listeners.values()]) await l.close()
    }
  }
}
