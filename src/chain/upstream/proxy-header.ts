// The PROXY protocol header a group writes first on a new upstream stream, so the upstream sees
// the real client. The encoders belong to the probes (they decode the same format).
import { encodeProxyV1, encodeProxyV2 } from '../probes/proxy-protocol.ts'
import type { AddressFacts } from '../types.ts'

export function proxyHeader (version: 'v1' | 'v2', source: AddressFacts, destination: AddressFacts): Buffer {
  return version === 'v1' ? encodeProxyV1(source, destination) : encodeProxyV2(source, destination)
}
