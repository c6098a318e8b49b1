// A TCP socket as a libp2p MultiaddrConnection, so that libp2p's upgrader (Noise, then yamux) can
// run over a socket we connected ourselves: the spliced relay socket to an SN. libp2p's own TCP
// transport has the same adapter but does not export it.
import type { Socket } from 'node:net'
import { once } from 'node:events'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface SocketConnInit {
  socket: Socket
  remoteAddr: Multiaddr
  direction: 'inbound' | 'outbound'
  log: Logger
}

export class SocketMultiaddrConnection extends AbstractMultiaddrConnection {
  readonly socket: Socket

  constructor (init: SocketConnInit) {
    // No inactivity timeout: keep-tunnel pings decide when a tunnel is dead.
    super({ remoteAddr: init.remoteAddr, direction: init.direction, log: init.log, inactivityTimeout: 0 })
    const socket = init.socket
    this.socket = socket
    socket.on('data', (buf: Buffer) => { this.onData(buf) })
    socket.on('error', (err) => { this.abort(err) })
    socket.once('end', () => { this.onTransportClosed() })
    socket.once('close', (hadError) => {
      if (hadError) this.abort(Object.assign(new Error('relay socket closed with an error'), { code: 'ECONNRESET' }))
      else this.onTransportClosed()
    })
    socket.on('drain', () => { this.safeDispatchEvent('drain') })
  }

  sendData (data: Iterable<Uint8Array>): { sentBytes: number, canSendMore: boolean } {
    let sentBytes = 0
    let canSendMore = true
    for (const buf of data) {
      sentBytes += buf.byteLength
      canSendMore = this.socket.write(buf)
      if (!canSendMore) break
    }
    return { sentBytes, canSendMore }
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    if (this.socket.destroyed) return
    this.socket.destroySoon()
    await once(this.socket, 'close', { signal: options?.signal })
  }

  sendReset (): void {
    if (this.socket.writableEnded) this.socket.destroy()
    else this.socket.resetAndDestroy()
  }

  sendPause (): void { this.socket.pause() }
  sendResume (): void { this.socket.resume() }
}
