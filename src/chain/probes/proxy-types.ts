// Types and protocol numbers of the PROXY protocol, versions 1 (text) and 2 (binary), as in
// haproxy's doc/proxy-protocol.txt. Shared by proxy-decode-v1.ts, proxy-decode-v2.ts and
// proxy-encode.ts.

export interface ProxyAddress { address: string, port: number }

export interface ProxyTlv { type: number, value: Buffer }

export interface ProxyHeader {
  version: 1 | 2
  /**
   * 'proxy': source and destination are set and describe the real client. 'local': no addresses
   * (v1 UNKNOWN, v2 LOCAL, v2 AF_UNSPEC or AF_UNIX): use the socket's own endpoints.
   */
  command: 'proxy' | 'local'
  transport: 'tcp4' | 'tcp6' | 'udp4' | 'udp6' | 'unspec'
  /** IPv6 in node's canonical text form (what socket.remoteAddress shows). */
  source?: ProxyAddress
  destination?: ProxyAddress
  /** v2 only, in wire order, values copied out of the input; [] for v1. */
  tlvs: ProxyTlv[]
}

export type ProxyResult =
  | { status: 'done', header: ProxyHeader, bytes: number }
  | { status: 'need_more' }
  | { status: 'not_proxy' }

export const NEED_MORE: ProxyResult = Object.freeze({ status: 'need_more' })
export const NOT_PROXY: ProxyResult = Object.freeze({ status: 'not_proxy' })

/** "PROXY " — every v1 header starts with it. */
export const V1_PREFIX = Buffer.from('PROXY ', 'latin1')
/** The longest v1 line, CRLF included ("PROXY UNKNOWN" or TCP6 with two full-length addresses). */
export const V1_MAX_BYTES = 107

/** The 12-byte v2 signature; it cannot start an HTTP request or a TLS record. */
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])
/** Signature, version/command, family/transport, 16-bit length. */
export const V2_FIXED_BYTES = 16
/**
 * What we accept after the fixed 16 bytes (address block plus TLVs): the largest address block
 * (AF_UNIX, 216) leaves 3880 bytes of TLVs. Real senders (haproxy, AWS NLB, nginx) stay far below.
 */
export const V2_MAX_PAYLOAD_BYTES = 4096
export const V2_MAX_HEADER_BYTES = V2_FIXED_BYTES + V2_MAX_PAYLOAD_BYTES

export const V2_VERSION = 0x2
export const V2_COMMANDS = Object.freeze({ LOCAL: 0x0, PROXY: 0x1 })

export interface V2Family {
  readonly transport: ProxyHeader['transport']
  /** Bytes of the address block. */
  readonly addressBytes: number
  /** 4 or 16 for INET/INET6; 0 for UNSPEC and UNIX, whose addresses we do not report. */
  readonly ipBytes: 0 | 4 | 16
}

/** The only family/transport bytes the spec allows; others must be rejected. */
export const V2_FAMILIES: ReadonlyMap<number, V2Family> = new Map([
  [0x00, { transport: 'unspec', addressBytes: 0, ipBytes: 0 }], //    AF_UNSPEC
  [0x11, { transport: 'tcp4', addressBytes: 12, ipBytes: 4 }], //     AF_INET  / STREAM
  [0x12, { transport: 'udp4', addressBytes: 12, ipBytes: 4 }], //     AF_INET  / DGRAM
  [0x21, { transport: 'tcp6', addressBytes: 36, ipBytes: 16 }], //    AF_INET6 / STREAM
  [0x22, { transport: 'udp6', addressBytes: 36, ipBytes: 16 }], //    AF_INET6 / DGRAM
  [0x31, { transport: 'unspec', addressBytes: 216, ipBytes: 0 }], //  AF_UNIX  / STREAM
  [0x32, { transport: 'unspec', addressBytes: 216, ipBytes: 0 }] //   AF_UNIX  / DGRAM
] as const)

export const V2_FAMILY_BYTES = Object.freeze({ UNSPEC: 0x00, TCP4: 0x11, TCP6: 0x21 })

/** TLV types of the spec (section 2.2), for callers; the codec keeps TLVs opaque. */
export const PP2_TYPES = Object.freeze({
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30
})
