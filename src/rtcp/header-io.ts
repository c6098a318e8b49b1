// Read one header off the front of a Duplex: bounded in bytes (the decoder rejects oversize
// headers) and in time; bytes after the header are put back with unshift() for the data phase.
import type { Duplex } from 'node:stream'
import type { Decoded } from './open-header.ts'
import { RTCP_ERR_BAD_HEADER, RTCP_ERR_HEADER_TIMEOUT } from './errors.ts'
import { TUN_ERR_ABORTED } from '../tunnel/errors.ts'

export function readHeader<T> (stream: Duplex, decode: (buf: Buffer) => Decoded<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0)
    let done = false
    const finish = (err: Error | null, value?: T): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      stream.off('readable', onReadable)
      stream.off('end', onEnd)
      stream.off('error', onError)
      stream.off('close', onEnd)
      signal?.removeEventListener('abort', onAbort)
      if (err != null) reject(err)
      else resolve(value as T)
    }
    const onReadable = (): void => {
      let chunk: Buffer | null
      while (!done && (chunk = stream.read() as Buffer | null) !== null) {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
        let r: Decoded<T>
        try {
          r = decode(buf)
        } catch (err) {
          finish(err as Error)
          return
        }
        if (r !== 'need_more') {
          if (r.rest.length > 0) stream.unshift(r.rest)
          finish(null, r.value)
          return
        }
      }
    }
    const onEnd = (): void => finish(new RTCP_ERR_BAD_HEADER('stream ended before a complete header'))
    const onError = (err: Error): void => finish(err)
    const onAbort = (): void => finish(new TUN_ERR_ABORTED('rtcp stream header', { cause: signal?.reason }))
    const timer = setTimeout(() => finish(new RTCP_ERR_HEADER_TIMEOUT(timeoutMs)), timeoutMs)
    if (signal?.aborted === true) { onAbort(); return }
    signal?.addEventListener('abort', onAbort, { once: true })
    stream.on('readable', onReadable)
    stream.on('end', onEnd)
    stream.on('close', onEnd)
    stream.on('error', onError)
  })
}
