// One prefix of system-config kept in memory as named entries (<prefix><name>/<leaf>), followed
// by watch (discovery's followPrefix: no polling, a fresh snapshot after a compacted history).
// Routing and authentication read the map and never wait on the store.
import type { Logger } from '../core/logger.ts'
import { followPrefix, type DiscoverySource } from '../discovery/index.ts'

export interface PrefixViewInit<T> {
  /** The watched prefix, ending in "/" (e.g. "apps/"). */
  prefix: string
  /** The key below an entry that holds its value (e.g. "spec" for apps/<name>/spec). */
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

  const log = logger.child({ mod: `zone.${init.what}` })
  void followPrefix({
    source,
    prefix: init.prefix,
    what: init.what,
    signal: stopping.signal,
    log,
    async snapshot () {
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
    },
    async apply (events) {
      for (const e of events) {
        const name = nameOf(e.key)
        if (name === undefined) continue
        const entry = e.type === 'put' ? await parse(name, e.value) : undefined
        if (entry !== undefined) entries.set(name, entry)
        else entries.delete(name)
      }
    },
    onSynced: () => { markReady() }
  }).catch(err => log.error({ err }, `${init.what} view stopped`))
  return {
    get: (name) => entries.get(name),
    entries: () => entries.entries(),
    ready,
    stop: () => { stopping.abort() }
  }
}
