// PROXY protocol v1/v2 codec (haproxy doc/proxy-protocol.txt), for the proxy_protocol probe and
// for upstreams that want the client's address.
//
// parseProxyHeader is incremental like parseClientHello: call it again with all the bytes seen so
// far. It answers 'not_proxy' as soon as the bytes differ from both "PROXY " and the v2 signature
// (the first byte decides for TLS and HTTP clients, so they are not delayed), 'need_more' while
// a header may still be completing, and otherwise the header and its length. Bytes after the
// header are never looked at; malformed headers are coded errors (./errors.ts).
import { decodeV1 } from './proxy-decode-v1.ts'
import { decodeV2 } from './proxy-decode-v2.ts'
import { NEED_MORE, NOT_PROXY, V1_PREFIX, V2_MAX_HEADER_BYTES, V2_SIGNATURE, type ProxyResult } from './proxy-types.ts'

export { encodeProxyV1, encodeProxyV2, type EncodeV2Options } from './proxy-encode.ts'
export {
  PP2_TYPES, V1_MAX_BYTES, V2_MAX_HEADER_BYTES, V2_MAX_PAYLOAD_BYTES,
  type ProxyAddress, type ProxyHeader, type ProxyResult, type ProxyTlv
} from './proxy-types.ts'

export interface ParseProxyOptions {
  /** Largest v2 header accepted, fixed part included (default V2_MAX_HEADER_BYTES = 4112). */
  maxV2Bytes?: number
}

/** True when buf[0..n) equals prefix[0..n), n = min(buf.length, prefix.length). */
function startsLike (buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length)
  for (let i = 0; i < n; i++) if (buf[i] !== prefix[i]) return false
  return true
}

export function parseProxyHeader (buf: Buffer, options: ParseProxyOptions = {}): ProxyResult {
  if (buf.length === 0) return NEED_MORE
  if (startsLike(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? NEED_MORE : decodeV1(buf)
  if (startsLike(buf, V2_SIGNATURE)) return buf.length < V2_SIGNATURE.length ? NEED_MORE : decodeV2(buf, options.maxV2Bytes ?? V2_MAX_HEADER_BYTES)
  return NOT_PROXY
}
