// One prefix of system-config kept in memory: an initial list and get, then changes in order from
// a watch (no polling); a "compacted" answer or an unreachable store starts over from a fresh
// snapshot, with a backoff. Routing and authentication read the map and never wait on the store.
import type { Logger } from '../core/logger.ts'
import type { DiscoverySource } from '../discovery/index.ts'

export interface PrefixViewInit<T> {
  /** The watched prefix, ending in "/" (e.g. "apps/"). */
  prefix: string
  /** The key below the prefix that holds an entry's value (e.g. "spec" for apps/<name>/spec). */
  leaf: string
  /** Entry names allowed: others are ignored. */
  name: RegExp
  /** The entry a value stands for, or undefined to ignore it (bad or unusable values). */
  parse: (name: string, value: string) => Promise<T | undefined> | T | undefined
  /** For log lines ("apps", "devices"). */
  what: string
}

export interface PrefixView<T> {
  get (name: string): T | undefined
  entries (): IterableIterator<[string, T]>
  /** Settles after the first snapshot. */
  readonly ready: Promise<void>
  stop (): void
}

export function startPrefixView<T> (source: DiscoverySource, init: PrefixViewInit<T>, logger: Logger): PrefixView<T> {
  const log = logger.child({ mod: `zone.${init.what}` })
  const entries = new Map<string, T>()
  const stopping = new AbortController()
  let markReady: () => void = () => {}
  const ready = new Promise<void>(resolve => { markReady = resolve })

  const nameOf = (key: string): string | undefined => {
    if (!key.startsWith(init.prefix) || !key.endsWith(`/${init.leaf}`)) return undefined
    const name = key.slice(init.prefix.length, -init.leaf.length - 1)
    return init.name.test(name) ? name : undefined
  }
  const parse = async (name: string, value: string | undefined): Promise<T | undefined> => {
    if (value === undefined) return undefined
    try {
      return await init.parse(name, value)
    } catch {
      return undefined
    }
  }

  async function snapshot (): Promise<number> {
    const revision = await source.revision()
    const fresh = new Map<string, T>()
    for (const name of await source.list(init.prefix)) {
      if (!init.name.test(name)) continue
      const entry = await parse(name, (await source.get(`${init.prefix}${name}/${init.leaf}`))?.value)
      if (entry !== undefined) fresh.set(name, entry)
    }
    entries.clear()
    for (const [name, entry] of fresh) entries.set(name, entry)
    return revision
  }

  async function loop (): Promise<void> {
    let delay = 250
    while (!stopping.signal.aborted) {
      try {
        let revision = await snapshot()
        markReady()
        delay = 250
        for (;;) {
          const r = await source.watch(init.prefix, revision, { timeoutMs: 30_000, signal: stopping.signal })
          for (const e of r.events) {
            const name = nameOf(e.key)
            if (name === undefined) continue
            const entry = e.type === 'put' ? await parse(name, e.value) : undefined
            if (entry !== undefined) entries.set(name, entry)
            else entries.delete(name)
          }
          revision = r.revision
        }
      } catch (err) {
        if (stopping.signal.aborted) return
        log.warn({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, `${init.what} watch interrupted; reading them again`)
        await new Promise(resolve => setTimeout(resolve, delay).unref())
        delay = Math.min(delay * 2, 10_000)
      }
    }
  }
  void loop()
  return {
    get: (name) => entries.get(name),
    entries: () => entries.entries(),
    ready,
    stop: () => { stopping.abort() }
  }
}
