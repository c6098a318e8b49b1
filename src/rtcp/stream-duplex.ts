// A libp2p stream seen as a Node Duplex (a TunnelStream). Backpressure runs end to end:
//  - reading: when push() returns false the libp2p stream is paused, which stops yamux window
//    updates, so the remote writer stalls once the window (stream_buffer) is full;
//  - writing: when send() returns false the write callback waits for 'drain'.
// Half-close: end() closes our write side (yamux FIN); the remote's FIN ends our readable side.
// destroy() before both sides finished resets the stream (yamux RST), which the peer sees as an error.
import { Duplex } from 'node:stream'
import type { Stream } from '@libp2p/interface'
import type { TunnelStream } from '../tunnel/types.ts'

let nextId = 0

function toBuffer (data: Uint8Array | { subarray(): Uint8Array }): Buffer {
  const u8 = data instanceof Uint8Array ? data : data.subarray()
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength)
}

/** Stream resets and aborts surface as ECONNRESET, like a reset TCP connection; the cause is kept. */
function asReset (err: Error): Error {
  if ((err as { code?: string }).code != null) return err
  return Object.assign(new Error(`stream reset by peer (${err.name})`, { cause: err }), { code: 'ECONNRESET' })
}

export class RtcpStreamDuplex extends Duplex implements TunnelStream {
  readonly id: string
  readonly localUrl: URL
  readonly remoteUrl: URL
  readonly p2p: Stream
  #remoteEnded = false
  #writeWaiter: (() => void) | null = null

  constructor (stream: Stream, localUrl: URL, remoteUrl: URL) {
    super({ allowHalfOpen: true, highWaterMark: 64 * 1024 })
    this.id = `rtcp-${process.pid}-${++nextId}`
    this.p2p = stream
    this.localUrl = localUrl
    this.remoteUrl = remoteUrl
    // Until Node asks for data, keep libp2p from emitting: paused streams buffer up to the window.
    stream.pause()
    stream.addEventListener('message', (evt) => {
      if (!this.push(toBuffer(evt.data))) stream.pause()
    })
    stream.addEventListener('remoteCloseWrite', () => {
      this.#remoteEnded = true
      this.push(null)
    })
    stream.addEventListener('drain', () => this.#wakeWriter())
    stream.addEventListener('close', (evt) => {
      this.#wakeWriter()
      const err = (evt as { error?: Error }).error
      if (err != null) {
        this.destroy(asReset(err))
      } else if (!this.#remoteEnded) {
        // Closed without the remote's FIN having reached us: the tunnel under it went away, so
        // the byte stream was cut, as a TCP reset would cut it.
        this.destroy(asReset(new Error('tunnel closed under the stream')))
      }
    })
  }

  #wakeWriter (): void {
    const w = this.#writeWaiter
    this.#writeWaiter = null
    w?.()
  }

  override _read (): void {
    if (this.p2p.readStatus === 'paused') this.p2p.resume()
  }

  override _write (chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    let ok: boolean
    try {
      ok = this.p2p.send(chunk)
    } catch (err) {
      cb(err as Error)
      return
    }
    if (ok) { cb(); return }
    this.#writeWaiter = () => {
      if (this.p2p.status === 'open' || this.p2p.writeStatus === 'writable') cb()
      else cb(Object.assign(new Error('stream closed while writing'), { code: 'ECONNRESET' }))
    }
  }

  override _writev (chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this._write(chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map(c => c.chunk)), 'buffer' as BufferEncoding, cb)
  }

  override _final (cb: (err?: Error | null) => void): void {
    this.p2p.close().then(() => cb(), (err: Error) => cb(err))
  }

  override _destroy (err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.p2p.status === 'open' || this.p2p.status === 'closing') {
      // Not a clean end on both sides: reset so the peer knows the stream was cut.
      this.p2p.abort(err ?? Object.assign(new Error('stream destroyed'), { code: 'ECONNRESET' }))
    }
    this.#wakeWriter()
    cb(err)
  }
}
