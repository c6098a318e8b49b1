// PROXY protocol v1: one text line "PROXY TCP4|TCP6 <src> <dst> <sport> <dport>\r\n" or
// "PROXY UNKNOWN[ anything]\r\n", at most 107 bytes. Strict: single spaces, addresses valid for the
// declared family (no zone ids, no leading zeros in IPv4), ports 0–65535 in plain decimal without
// sign, spaces or leading zeros; printable ASCII only. A bad byte is refused as soon as it is seen.
import { CHAIN_ERR_PROXY_BAD_V1 } from './errors.ts'
import { canonicalIPv4, canonicalIPv6 } from './proxy-address.ts'
import { NEED_MORE, V1_MAX_BYTES, V1_PREFIX, type ProxyAddress, type ProxyResult } from './proxy-types.ts'

const CR = 0x0d
const LF = 0x0a
const PORT = /^(?:0|[1-9][0-9]{0,4})$/

function bad (why: string): never {
  throw new CHAIN_ERR_PROXY_BAD_V1(why)
}

function port (text: string): number {
  const n = PORT.test(text) ? Number(text) : -1
  if (n < 0 || n > 65535) bad(`bad port ${JSON.stringify(text)}`)
  return n
}

/** `buf` starts with the whole "PROXY " prefix (checked by the caller). */
export function decodeV1 (buf: Buffer): ProxyResult {
  const limit = Math.min(buf.length, V1_MAX_BYTES)
  let end = -1
  for (let i = V1_PREFIX.length; i < limit; i++) {
    const c = buf[i]
    if (c === CR) {
      if (i + 1 >= V1_MAX_BYTES) bad(`no CRLF within ${V1_MAX_BYTES} bytes`)
      if (i + 1 >= buf.length) return NEED_MORE
      if (buf[i + 1] !== LF) bad('CR not followed by LF')
      end = i
      break
    }
    if (c < 0x20 || c > 0x7e) bad(`byte 0x${c.toString(16).padStart(2, '0')} in the header line`)
  }
  if (end === -1) {
    if (buf.length >= V1_MAX_BYTES) bad(`no CRLF within ${V1_MAX_BYTES} bytes`)
    return NEED_MORE
  }
  const bytes = end + 2
  const fields = buf.toString('latin1', V1_PREFIX.length, end).split(' ')
  const proto = fields[0]
  // UNKNOWN: the sender could not tell; the rest of the line is ignored (spec section 2.1).
  if (proto === 'UNKNOWN') return { status: 'done', header: { version: 1, command: 'local', transport: 'unspec', tlvs: [] }, bytes }
  if (proto !== 'TCP4' && proto !== 'TCP6') bad(`unknown protocol ${JSON.stringify(proto)}`)
  if (fields.length !== 5) bad(`${proto} needs exactly 4 fields separated by single spaces`)
  const canonical = proto === 'TCP4' ? canonicalIPv4 : canonicalIPv6
  const addr = (text: string, portText: string): ProxyAddress => {
    const address = canonical(text)
    if (address === undefined) bad(`${JSON.stringify(text)} is not an ${proto === 'TCP4' ? 'IPv4' : 'IPv6'} address`)
    return { address, port: port(portText) }
  }
  const source = addr(fields[1], fields[3])
  const destination = addr(fields[2], fields[4])
  return {
    status: 'done',
    header: { version: 1, command: 'proxy', transport: proto === 'TCP4' ? 'tcp4' : 'tcp6', source, destination, tlvs: [] },
    bytes
  }
}
