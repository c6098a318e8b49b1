// Resolves a service name to the instances to try, in order: the local node's own instance
// first (tcp://127.0.0.1:<port>, no tunnel), then the remote ones (rtcp://<node>/:<port>) in a
// weighted random order. The view comes from the watch; expiry is judged again here by the
// clock, so an instance whose refreshes stopped is dropped even before anyone rewrites info.
import type { Logger } from '../core/logger.ts'
import type { DiscoverySource } from './source.ts'
import { startServiceView } from './view.ts'
import { isLive, pickPort } from './records.ts'

export interface Candidate {
  /** The tunnel URL to open. */
  url: string
  node: string
  port: number
  weight: number
  /** The instance runs on this node (reached over loopback). */
  local: boolean
}

export interface ServiceResolverInit {
  source: DiscoverySource
  /** This node's name, as instances report it. */
  localNode: string
  logger: Logger
  now?: () => number
  /** For the weighted order (Math.random by default). */
  random?: () => number
  watchTimeoutMs?: number
}

export interface ServiceResolver {
  /** Live instances offering the port, best first (local, then weighted random). Empty when none. */
  resolve (service: string, portName?: string): Candidate[]
  /** Resolves after the first snapshot. */
  readonly ready: Promise<void>
  stop (): Promise<void>
}

export function createServiceResolver (init: ServiceResolverInit): ServiceResolver {
  const log = init.logger.child({ mod: 'discovery.resolve' })
  const now = init.now ?? Date.now
  const random = init.random ?? Math.random
  const view = startServiceView({ source: init.source, logger: log, now, watchTimeoutMs: init.watchTimeoutMs })

  return {
    ready: view.ready,
    resolve (service, portName) {
      const t = now()
      const local: Candidate[] = []
      const remote: Candidate[] = []
      for (const e of view.instances(service)) {
        if (!isLive(e.report, t)) continue
        const port = pickPort(e.report.ports, portName)
        if (port === undefined) continue
        if (e.node === init.localNode) {
          local.push({ url: `tcp://127.0.0.1:${port}`, node: e.node, port, weight: e.report.weight, local: true })
        } else {
          remote.push({ url: `rtcp://${e.node}/:${port}`, node: e.node, port, weight: e.report.weight, local: false })
        }
      }
      return [...local, ...weightedOrder(remote, random)]
    },
    stop: async () => await view.stop()
  }
}

/**
 * A weighted random permutation (Efraimidis–Spirakis): each item draws u^(1/w) and the highest
 * keys come first, so an item's chance of leading is its share of the total weight.
 */
export function weightedOrder<T extends { weight: number }> (items: readonly T[], random: () => number = Math.random): T[] {
  return items
    .map(item => ({ item, key: Math.pow(random(), 1 / Math.max(item.weight, 1e-9)) }))
    .sort((a, b) => b.key - a.key)
    .map(x => x.item)
}
