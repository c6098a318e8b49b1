// Where the SN's public ingress sends a connection for a zone name (the chain's `zone` action):
// through the tunnel of each device of that zone that has one up, to the target the route names,
// which the zone's gateway listens on as rtcp://local/<target>. Devices are tried in the order
// the zone owner listed them.
import type { RtcpService } from '../rtcp/service.ts'
import type { ZoneResolver } from '../chain/zone/zone.ts'
import type { SnRegistry } from './registry/types.ts'

export function zoneResolver (registry: SnRegistry, rtcp: () => RtcpService | undefined): ZoneResolver {
  return {
    resolve (hostname, target) {
      const zone = registry.zoneOf(hostname)
      if (zone == null || !zone.active) return undefined
      const node = rtcp()?.node
      if (node == null) return []
      // One map probe per device: an SN holds thousands of tunnels.
      return zone.devices
        .filter(d => node.existingConnection(node.peers.resolve(d.did)) != null)
        .map(d => `rtcp://${encodeURIComponent(d.did)}/${target}`)
    }
  }
}
