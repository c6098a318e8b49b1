// What a role adds to the common process (an SN: its registry, DNS, ACME and ingress; a zone
// gateway: its SN link, its zone's services), and how several such parts combine.
import type { ChainDeps } from '../chain/runtime/chain-set.ts'
import type { RtcpService } from '../rtcp/service.ts'
import type { TunnelRegistry } from '../tunnel/registry.ts'
import type { AdminHandler } from './control.ts'

/**
 * What a role adds to the common process (an SN: its registry, DNS, ACME and ingress; a zone
 * gateway: its SN link). Called in this order: tunnels, then rtcp, then chains.
 */
export interface ProcessExtensions {
  /** Extra tunnel kinds (internal://) before anything opens streams. */
  tunnels?: (registry: TunnelRegistry) => void
  /** Once rtcp runs: admission of registered devices, for example. */
  rtcp?: (rtcp: RtcpService) => void
  /** Chain dependencies beyond opening streams: live certificates, the zone resolver. */
  chainDeps?: Omit<ChainDeps, 'open' | 'logger'>
  /** Merged into GET /v1/status. */
  status?: () => Record<string, unknown>
  /** Operator actions on the control API (POST /v1/admin/<action>). */
  admin?: AdminHandler
  /** After stacks and control have closed, before rtcp stops. */
  stop?: () => Promise<void>
}


/** One set of extensions from several: hooks run in order, stops in reverse, chain deps merged. */
export function mergeExtensions (parts: ReadonlyArray<ProcessExtensions | undefined>): ProcessExtensions {
  const list = parts.filter((p): p is ProcessExtensions => p != null)
  if (list.length <= 1) return list[0] ?? {}
  const admin = list.find(p => p.admin != null)?.admin
  return {
    tunnels: (r) => { for (const p of list) p.tunnels?.(r) },
    rtcp: (s) => { for (const p of list) p.rtcp?.(s) },
    chainDeps: Object.assign({}, ...list.map(p => p.chainDeps ?? {})),
    status: () => Object.assign({}, ...list.map(p => p.status?.() ?? {})),
    ...(admin != null ? { admin } : {}),
    stop: async () => { for (const p of [...list].reverse()) await p.stop?.() }
  }
}
