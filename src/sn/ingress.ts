// Where the SN's public ingress sends a connection for a zone name (the chain's `zone` action):
// through the tunnel of each device of that zone that has one up, to the target the route names,
// which the zone's gateway listens on as rtcp://local/<target>. Devices are tried in the order
// the zone owner listed them.
import type { RtcpService } from '../rtcp/service.ts'
import type { KnownPeer } from '../rtcp/peer-book.ts'
import type { ZoneResolver } from '../chain/zone/zone.ts'
import type { SnRegistry } from './registry/types.ts'

export function zoneResolver (registry: SnRegistry, rtcp: () => RtcpService | undefined): ZoneResolver {
  // did → peer (its peer id is parsed from the key once, not on every public connection).
  const peers = new Map<string, KnownPeer>()
  const peerOf = (node: RtcpService['node'], did: string): KnownPeer => {
    let p = peers.get(did)
    if (p == null) {
      if (peers.size >= 100_000) peers.clear()
      p = node.peers.resolve(did)
      peers.set(did, p)
    }
    return p
  }
  return {
    resolve (hostname, target) {
      const zone = registry.zoneOf(hostname)
      if (zone == null || !zone.active) return undefined
      const node = rtcp()?.node
      if (node == null) return []
      // One map probe per device: an SN holds thousands of tunnels.
      return zone.devices
        .filter(d => node.existingConnection(peerOf(node, d.did)) != null)
        .map(d => `rtcp://${encodeURIComponent(d.did)}/${target}`)
    }
  }
}
