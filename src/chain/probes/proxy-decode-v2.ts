// PROXY protocol v2: 12-byte signature | ver_cmd u8 | fam u8 | len u16 | address block | TLVs.
// The fixed 16 bytes are checked as soon as they are there, so a bad version, command, family or
// an oversized length is refused without waiting for the rest. Nothing past 16 + len is read.
import { CHAIN_ERR_PROXY_BAD_V2, CHAIN_ERR_PROXY_TOO_LARGE } from './errors.ts'
import { ipv4FromBytes, ipv6FromBytes } from './proxy-address.ts'
import {
  NEED_MORE, V2_COMMANDS, V2_FAMILIES, V2_FIXED_BYTES, V2_VERSION,
  type ProxyAddress, type ProxyHeader, type ProxyResult, type ProxyTlv
} from './proxy-types.ts'

const TLV_HEAD_BYTES = 3

function bad (why: string): never {
  throw new CHAIN_ERR_PROXY_BAD_V2(why)
}

/** `buf` starts with the whole signature (checked by the caller). */
export function decodeV2 (buf: Buffer, maxBytes: number): ProxyResult {
  if (buf.length < V2_FIXED_BYTES) return NEED_MORE
  const version = buf[12] >> 4
  const command = buf[12] & 0x0f
  if (version !== V2_VERSION) bad(`version ${version}`)
  if (command !== V2_COMMANDS.LOCAL && command !== V2_COMMANDS.PROXY) bad(`command ${command}`)
  const family = V2_FAMILIES.get(buf[13])
  const len = buf.readUInt16BE(14)
  const total = V2_FIXED_BYTES + len
  if (total > maxBytes) throw new CHAIN_ERR_PROXY_TOO_LARGE(total, maxBytes)
  // LOCAL: the spec says the family is to be ignored, so an unknown one is tolerated there.
  if (command === V2_COMMANDS.PROXY) {
    if (family === undefined) bad(`family/transport byte 0x${buf[13].toString(16).padStart(2, '0')}`)
    if (len < family.addressBytes) bad(`length ${len} is shorter than the ${family.transport} address block of ${family.addressBytes}`)
  }
  if (buf.length < total) return NEED_MORE

  const header: ProxyHeader = { version: 2, command: 'local', transport: 'unspec', tlvs: [] }
  if (family === undefined || len < family.addressBytes) {
    // LOCAL with a family we cannot size: nothing in the block is usable.
    return { status: 'done', header, bytes: total }
  }
  if (command === V2_COMMANDS.PROXY && family.ipBytes !== 0) {
    const ip = family.ipBytes === 4 ? ipv4FromBytes : ipv6FromBytes
    const at = (ipOff: number, portOff: number): ProxyAddress => ({ address: ip(buf, ipOff), port: buf.readUInt16BE(portOff) })
    const base = V2_FIXED_BYTES
    const n = family.ipBytes
    header.command = 'proxy'
    header.transport = family.transport
    header.source = at(base, base + 2 * n)
    header.destination = at(base + n, base + 2 * n + 2)
  }
  header.tlvs = decodeTlvs(buf, V2_FIXED_BYTES + family.addressBytes, total)
  return { status: 'done', header, bytes: total }
}

/** TLVs fill [off, end) exactly; one that overruns it, or a stray 1–2 bytes, is an error. */
function decodeTlvs (buf: Buffer, off: number, end: number): ProxyTlv[] {
  const tlvs: ProxyTlv[] = []
  while (off < end) {
    if (end - off < TLV_HEAD_BYTES) bad(`${end - off} stray bytes after the last TLV`)
    const type = buf[off]
    const len = buf.readUInt16BE(off + 1)
    const start = off + TLV_HEAD_BYTES
    if (start + len > end) bad(`TLV 0x${type.toString(16)} of ${len} bytes overruns the header by ${start + len - end}`)
    // Copied: the caller unshifts or reuses the peeked buffer, the header outlives it.
    tlvs.push({ type, value: Buffer.from(buf.subarray(start, start + len)) })
    off = start + len
  }
  return tlvs
}
