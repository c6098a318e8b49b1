// Reads handshake messages from a client socket with the codec's decoders. The socket is paused
// after every chunk and resumed only while a message is incomplete, so at most one chunk beyond
// the current message is ever held: a client that floods bytes cannot grow our buffer.
import type net from 'node:net'
import type { Decoded } from './types.ts'
import { SOCKS_ERR_CLIENT_CLOSED } from './errors.ts'

export class HandshakeReader {
  #socket: net.Socket
  #buf: Buffer = Buffer.alloc(0)
  #ended = false
  #wake: (() => void) | undefined
  #onData = (chunk: Buffer): void => {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk])
    this.#socket.pause()
    this.#wake?.()
  }

  #onEnd = (): void => { this.#ended = true; this.#wake?.() }

  constructor (socket: net.Socket) {
    this.#socket = socket
    socket.on('data', this.#onData)
    socket.once('end', this.#onEnd)
    socket.once('close', this.#onEnd)
    socket.pause()
  }

  /** The next message; codec errors propagate, a closed socket throws SOCKS_ERR_CLIENT_CLOSED. */
  async next<T> (decode: (buf: Buffer) => Decoded<T>): Promise<T> {
    for (;;) {
      const r = decode(this.#buf)
      if (r.status === 'done') {
        this.#buf = this.#buf.subarray(r.bytes)
        return r.value
      }
      if (this.#ended || this.#socket.destroyed) throw new SOCKS_ERR_CLIENT_CLOSED(String(this.#socket.remoteAddress))
      await new Promise<void>(resolve => {
        this.#wake = resolve
        this.#socket.resume()
      })
      this.#wake = undefined
    }
  }

  /** Stop reading; returns the bytes received after the last message (pipelined data), socket paused. */
  detach (): Buffer {
    this.#socket.off('data', this.#onData)
    this.#socket.off('end', this.#onEnd)
    this.#socket.off('close', this.#onEnd)
    this.#socket.pause()
    return this.#buf
  }
}
