// The zone's apps as the gateway routes them: `apps/<app>/spec` in system-config holds
// `{"service": "<svc>", "private": true|false}`. Kept in memory from a watch (an initial list and
// get, then changes in order; a "compacted" answer starts over), so routing a request never waits
// on system-config.
import type { Logger } from '../core/logger.ts'
import type { DiscoverySource } from '../discovery/index.ts'

export interface AppEntry { service: string, private: boolean }

export interface AppsView {
  lookup (app: string): AppEntry | undefined
  readonly ready: Promise<void>
  stop (): void
}

const PREFIX = 'apps/'
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/

function parseSpec (text: string | undefined): AppEntry | undefined {
  if (text == null || text.length > 4096) return undefined
  try {
    const v = JSON.parse(text) as { service?: unknown, private?: unknown }
    if (typeof v.service !== 'string' || !NAME.test(v.service)) return undefined
    return { service: v.service, private: v.private !== false }
  } catch {
    return undefined
  }
}

/** "apps/<app>/spec" → app, else undefined. */
function appOf (key: string): string | undefined {
  const m = /^apps\/([^/]+)\/spec$/.exec(key)
  return m != null && NAME.test(m[1]) ? m[1] : undefined
}

export function startAppsView (source: DiscoverySource, logger: Logger): AppsView {
  const log = logger.child({ mod: 'zone.apps' })
  const apps = new Map<string, AppEntry>()
  const stopping = new AbortController()
  let markReady: () => void = () => {}
  const ready = new Promise<void>(resolve => { markReady = resolve })

  async function snapshot (): Promise<number> {
    const revision = await source.revision()
    apps.clear()
    for (const name of await source.list(PREFIX)) {
      if (!NAME.test(name)) continue
      const entry = parseSpec((await source.get(`${PREFIX}${name}/spec`))?.value)
      if (entry != null) apps.set(name, entry)
    }
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
          const r = await source.watch(PREFIX, revision, { timeoutMs: 30_000, signal: stopping.signal })
          for (const e of r.events) {
            const app = appOf(e.key)
            if (app == null) continue
            const entry = e.type === 'put' ? parseSpec(e.value) : undefined
            if (entry != null) apps.set(app, entry)
            else apps.delete(app)
          }
          revision = r.revision
        }
      } catch (err) {
        if (stopping.signal.aborted) return
        // COMPACTED or an unreachable system-config: start over from a fresh snapshot.
        log.warn({ err: { code: (err as { code?: string }).code, message: (err as Error).message } }, 'apps watch interrupted; reading them again')
        await new Promise(resolve => setTimeout(resolve, delay).unref())
        delay = Math.min(delay * 2, 10_000)
      }
    }
  }
  void loop()
  return {
    lookup: (app) => apps.get(app),
    ready,
    stop: () => { stopping.abort() }
  }
}
