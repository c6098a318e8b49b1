// The zone's apps as the gateway routes them: `apps/<app>/spec` in system-config holds
// `{"service": "<svc>", "private": true|false}`, kept in memory from a watch (prefix-view.ts), so
// routing a request never waits on system-config.
import type { Logger } from '../core/logger.ts'
import type { DiscoverySource } from '../discovery/index.ts'
import { startPrefixView } from './prefix-view.ts'

export interface AppEntry { service: string, private: boolean }

export interface AppsView {
  lookup (app: string): AppEntry | undefined
  readonly ready: Promise<void>
  stop (): void
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/

function parseSpec (text: string): AppEntry | undefined {
  if (text.length > 4096) return undefined
  const v = JSON.parse(text) as { service?: unknown, private?: unknown } | null
  if (typeof v?.service !== 'string' || !NAME.test(v.service)) return undefined
  return { service: v.service, private: v.private !== false }
}

export function startAppsView (source: DiscoverySource, logger: Logger): AppsView {
  const view = startPrefixView(source, { prefix: 'apps/', leaf: 'spec', name: NAME, parse: (_name, text) => parseSpec(text), what: 'apps' }, logger)
  return { lookup: (app) => view.get(app), ready: view.ready, stop: () => { view.stop() } }
}
