// Writing PROXY headers for upstreams (UpstreamGroupSpec.proxyProtocol). Addresses may come
// straight from node sockets: an IPv4 peer on a dual-stack listener ("::ffff:1.2.3.4") is sent as
// TCP4, and a pair mixing IPv4 and IPv6 is sent as TCP6 with the IPv4 side mapped (::ffff:a.b.c.d),
// because both ends of one header must share a family.
import { CHAIN_ERR_PROXY_BAD_ENCODE } from './errors.ts'
import { canonicalIPv4, canonicalIPv6, ipv4ToBytes, ipv6ToBytes, unmapIPv4 } from './proxy-address.ts'
import {
  V2_COMMANDS, V2_FAMILY_BYTES, V2_FIXED_BYTES, V2_SIGNATURE, V2_VERSION,
  type ProxyAddress, type ProxyTlv
} from './proxy-types.ts'

export interface EncodeV2Options {
  tlvs?: ReadonlyArray<Readonly<ProxyTlv>>
  /** 'local' sends no addresses (health checks, the proxy's own connections). Default 'proxy'. */
  command?: 'proxy' | 'local'
}

interface Pair { family: 4 | 6, source: string, destination: string }

function canonical (address: string): { family: 4 | 6, text: string } {
  const v4 = canonicalIPv4(address)
  if (v4 !== undefined) return { family: 4, text: v4 }
  const v6 = canonicalIPv6(address)
  if (v6 === undefined) throw new CHAIN_ERR_PROXY_BAD_ENCODE(`${JSON.stringify(address)} is not an IP address`)
  const unmapped = unmapIPv4(v6)
  return unmapped !== undefined ? { family: 4, text: unmapped } : { family: 6, text: v6 }
}

function pair (source: ProxyAddress, destination: ProxyAddress): Pair {
  checkPort(source.port)
  checkPort(destination.port)
  const s = canonical(source.address)
  const d = canonical(destination.address)
  if (s.family === d.family) return { family: s.family, source: s.text, destination: d.text }
  const v6 = (a: { family: 4 | 6, text: string }): string => a.family === 4 ? `::ffff:${a.text}` : a.text
  return { family: 6, source: v6(s), destination: v6(d) }
}

function checkPort (port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CHAIN_ERR_PROXY_BAD_ENCODE(`port ${port}`)
}

export function encodeProxyV1 (source: ProxyAddress, destination: ProxyAddress): Buffer {
  const p = pair(source, destination)
  return Buffer.from(`PROXY TCP${p.family} ${p.source} ${p.destination} ${source.port} ${destination.port}\r\n`, 'latin1')
}

export function encodeProxyV2 (source: ProxyAddress | undefined, destination: ProxyAddress | undefined, options: EncodeV2Options = {}): Buffer {
  const local = options.command === 'local'
  let family: number = V2_FAMILY_BYTES.UNSPEC
  let addresses = Buffer.alloc(0)
  if (!local) {
    if (source === undefined || destination === undefined) throw new CHAIN_ERR_PROXY_BAD_ENCODE('a PROXY command needs source and destination')
    const p = pair(source, destination)
    const ip = p.family === 4 ? ipv4ToBytes : ipv6ToBytes
    const ports = Buffer.alloc(4)
    ports.writeUInt16BE(source.port, 0)
    ports.writeUInt16BE(destination.port, 2)
    family = p.family === 4 ? V2_FAMILY_BYTES.TCP4 : V2_FAMILY_BYTES.TCP6
    addresses = Buffer.concat([ip(p.source), ip(p.destination), ports])
  }
  const tlvs = (options.tlvs ?? []).map(encodeTlv)
  const payload = addresses.length + tlvs.reduce((n, b) => n + b.length, 0)
  if (payload > 0xffff) throw new CHAIN_ERR_PROXY_BAD_ENCODE(`${payload} bytes of addresses and TLVs exceed the 16-bit length`)
  const fixed = Buffer.alloc(V2_FIXED_BYTES)
  V2_SIGNATURE.copy(fixed, 0)
  fixed[12] = (V2_VERSION << 4) | (local ? V2_COMMANDS.LOCAL : V2_COMMANDS.PROXY)
  fixed[13] = family
  fixed.writeUInt16BE(payload, 14)
  return Buffer.concat([fixed, addresses, ...tlvs])
}

function encodeTlv (tlv: Readonly<ProxyTlv>): Buffer {
  if (!Number.isInteger(tlv.type) || tlv.type < 0 || tlv.type > 0xff) throw new CHAIN_ERR_PROXY_BAD_ENCODE(`TLV type ${tlv.type}`)
  if (tlv.value.length > 0xffff) throw new CHAIN_ERR_PROXY_BAD_ENCODE(`TLV value of ${tlv.value.length} bytes`)
  const head = Buffer.alloc(3)
  head[0] = tlv.type
  head.writeUInt16BE(tlv.value.length, 1)
  return Buffer.concat([head, tlv.value])
}
