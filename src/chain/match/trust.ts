// Who is believed when a connection starts with a PROXY header (trusted_proxies): address ranges
// for connections that arrive over TCP, device keys (did:dev) for streams that arrive over rtcp.
// An rtcp stream's socket address is a placeholder, so for those only the device counts: a
// loopback range never makes every admitted device a trusted proxy.
import { compileCidrs } from './cidr.ts'
import { isDid } from '../../identity/did.ts'

export type TrustCheck = (address: string, peer?: string) => boolean

export function compileTrust (entries: readonly string[]): TrustCheck {
  const devices = new Set(entries.filter(e => isDid(e)))
  const ranges = compileCidrs(entries.filter(e => !isDid(e)))
  return (address, peer) => peer != null ? devices.has(peer) : ranges(address)
}
