// Idle upstream streams kept for HTTP keep-alive, per upstream URL. LIFO: the most recently used
// stream is the least likely to have been closed by the upstream's own idle timer. A stream that
// receives a byte, ends or fails while idle is discarded at once (it could not carry a response
// to our next request), and each entry closes after the route's idle timeout.
import type { Duplex } from 'node:stream'
import { readerFor } from './stream-reader.ts'

export interface UpstreamPoolOptions {
  /** Idle streams kept per upstream URL; the oldest is closed beyond it. Default 64. */
  maxIdlePerUrl?: number
}

export interface UpstreamPool {
  /** The most recently parked usable stream for `url`, removed from the pool. */
  take (url: string): Duplex | undefined
  /** Park a stream whose last exchange ended cleanly. */
  put (url: string, stream: Duplex, idleTimeoutMs: number): void
  /** Idle streams held for `url` (tests, stats). */
  idle (url: string): number
  /** Close every idle stream. */
  close (): void
}

interface Entry {
  stream: Duplex
  timer: NodeJS.Timeout
}

export function createUpstreamPool (options: UpstreamPoolOptions = {}): UpstreamPool {
  const max = options.maxIdlePerUrl ?? 64
  const byUrl = new Map<string, Entry[]>()

  function remove (url: string, entry: Entry): void {
    const list = byUrl.get(url)
    if (list === undefined) return
    const i = list.indexOf(entry)
    if (i >= 0) list.splice(i, 1)
    if (list.length === 0) byUrl.delete(url)
  }

  function discard (url: string, entry: Entry): void {
    clearTimeout(entry.timer)
    remove(url, entry)
    readerFor(entry.stream).unwatchIdle()
    entry.stream.destroy()
  }

  return {
    take (url) {
      const list = byUrl.get(url)
      while (list !== undefined && list.length > 0) {
        const entry = list.pop() as Entry
        if (list.length === 0) byUrl.delete(url)
        clearTimeout(entry.timer)
        const reader = readerFor(entry.stream)
        reader.unwatchIdle()
        if (reader.usable && reader.buffered === 0) return entry.stream
        entry.stream.destroy()
      }
      return undefined
    },
    put (url, stream, idleTimeoutMs) {
      let list = byUrl.get(url)
      if (list === undefined) { list = []; byUrl.set(url, list) }
      const entry: Entry = { stream, timer: setTimeout(() => discard(url, entry), idleTimeoutMs) }
      entry.timer.unref()
      list.push(entry)
      readerFor(stream).watchIdle(() => discard(url, entry))
      while (list.length > max) discard(url, list[0])
    },
    idle (url) { return byUrl.get(url)?.length ?? 0 },
    close () {
      for (const [url, list] of [...byUrl]) for (const entry of [...list]) discard(url, entry)
    }
  }
}
