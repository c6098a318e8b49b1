// One upstream group per service://<svc> URL, made on first use and kept (bounded, least recently
// used dropped first) by the route that proxies to services. The group is what balances, times
// out and reports; the pooled idle streams live in the engine's pool, keyed by the same URL, so
// requests for one service reuse that service's connections whatever route they came through.
import type { Duplex } from 'node:stream'
import type { Logger } from '../../core/logger.ts'
import type { HttpProxySpec, PathRewrite, ServiceProxySpec, UpstreamConnector } from '../types.ts'
import { createUpstreamGroup } from '../upstream/group.ts'

/** Service names as system-config keys them (services/<svc>/...). */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/

export const MAX_SERVICE_GROUPS = 256

export interface ServiceUpstream {
  url: string
  upstream: UpstreamConnector
  spec: HttpProxySpec
}

export interface ServiceUpstreams {
  /** The group for service `svc` (a valid SERVICE_NAME); `rewrite` is fixed per service at first use. */
  get (svc: string, rewrite?: PathRewrite): ServiceUpstream
  readonly size: number
}

export interface ServiceUpstreamDeps {
  open (url: string, options: { signal: AbortSignal }): Promise<Duplex>
  logger: Logger
}

export function serviceUpstreams (settings: ServiceProxySpec, deps: ServiceUpstreamDeps, max = MAX_SERVICE_GROUPS): ServiceUpstreams {
  const groups = new Map<string, ServiceUpstream>()
  return {
    get (svc, rewrite = {}) {
      let g = groups.get(svc)
      if (g !== undefined) {
        // Most recently used last: eviction takes the first key.
        groups.delete(svc)
        groups.set(svc, g)
        return g
      }
      const url = `service://${svc}`
      const spec: HttpProxySpec = {
        upstreams: [{ url, weight: 1 }],
        balance: 'round_robin',
        connectTimeoutMs: settings.connectTimeoutMs,
        tries: 1,
        // Discovery fails over between a service's instances behind service://; marking the one
        // URL down here would only hide a recovered service for the cooldown.
        health: { failures: Number.MAX_SAFE_INTEGER, cooldownMs: 0 },
        rewrite,
        setRequestHeaders: {},
        removeRequestHeaders: [],
        xForwarded: true,
        preserveHost: true,
        idleTimeoutMs: settings.idleTimeoutMs,
        responseTimeoutMs: settings.responseTimeoutMs
      }
      g = { url, spec, upstream: createUpstreamGroup(spec, deps) }
      if (groups.size >= max) groups.delete(groups.keys().next().value as string)
      groups.set(svc, g)
      return g
    },
    get size () { return groups.size }
  }
}

/** Remove every `name` field (lower-case name) from a header list, in place. */
export function removeHeader (headers: Array<[string, string]>, name: string): void {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i][0].toLowerCase() === name) headers.splice(i, 1)
}
