// A bounded, incremental parser of a TLS ClientHello, for probes that peek at the first bytes of a
// connection without consuming them (RFC 8446 §4.1.2, §5.1; RFC 6066 §3; RFC 7301 §3.1).
//
//   record:    type u8 (=22 handshake) | legacy version u16 (3.x) | length u16 (1..2^14+256) | fragment
//   handshake: type u8 (=1 client_hello) | length u24 | body, carried by one or more records
//
// Call it again with all the bytes seen so far whenever more arrive: it answers 'not_tls' from the
// first byte, 'need_more' until the whole handshake message is there, and otherwise the facts and
// how many bytes (whole records) the hello took. It never looks past the handshake length, which
// it refuses above `maxBytes` before the bytes arrive, nor past `MAX_RECORDS` records. It copies
// only once, when a complete hello spans several records; anything malformed is a coded error.
import { CHAIN_ERR_BAD_CLIENT_HELLO, CHAIN_ERR_CLIENT_HELLO_TOO_LARGE } from '../errors.ts'

export const DEFAULT_MAX_HELLO_BYTES = 64 * 1024
export const MAX_RECORD_PAYLOAD = 16384 + 256
/** A hello cut into more records than this is refused: it bounds the record overhead we scan (20 KiB). */
export const MAX_RECORDS = 4096

const CONTENT_HANDSHAKE = 22
const HANDSHAKE_CLIENT_HELLO = 1
const EXT_SERVER_NAME = 0
const EXT_ALPN = 16
const EXT_EARLY_DATA = 42
const EXT_SUPPORTED_VERSIONS = 43

export interface ClientHelloFacts {
  /** host_name from server_name, lower-cased; absent when the client sent none. */
  sni?: string
  alpn: string[]
  legacyVersion: number
  supportedVersions: number[]
  cipherSuites: number[]
  hasEarlyData: boolean
}

export type ClientHelloResult =
  | { status: 'done', hello: ClientHelloFacts, bytes: number }
  | { status: 'need_more' }
  | { status: 'not_tls' }

export interface ParseOptions { maxBytes?: number }

const NEED_MORE: ClientHelloResult = Object.freeze({ status: 'need_more' })
const NOT_TLS: ClientHelloResult = Object.freeze({ status: 'not_tls' })

function bad (why: string): never {
  throw new CHAIN_ERR_BAD_CLIENT_HELLO(why)
}

export function parseClientHello (buf: Buffer, options: ParseOptions = {}): ClientHelloResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_HELLO_BYTES
  if (buf.length === 0) return NEED_MORE
  if (buf[0] !== CONTENT_HANDSHAKE) return NOT_TLS

  const fragments: Buffer[] = []
  let have = 0 //             handshake bytes gathered so far
  let need = -1 //            4 + handshake length, once the 4-byte handshake header is there
  let off = 0
  let records = 0
  const byteAt = (i: number): number => { // i-th gathered handshake byte
    for (const f of fragments) { if (i < f.length) return f[i]; i -= f.length }
    return -1
  }
  while (true) {
    if (records === MAX_RECORDS) bad(`hello spans more than ${MAX_RECORDS} records`)
    // Record header, judged field by field as the bytes arrive.
    if (off >= buf.length) return NEED_MORE
    if (buf[off] !== CONTENT_HANDSHAKE) bad(`record of content type ${buf[off]} inside the hello`)
    if (off + 1 >= buf.length) return NEED_MORE
    if (buf[off + 1] !== 3) bad(`record version ${buf[off + 1]}.x`)
    if (off + 5 > buf.length) return NEED_MORE
    const len = buf.readUInt16BE(off + 3)
    if (len === 0) bad('empty handshake record')
    if (len > MAX_RECORD_PAYLOAD) bad(`record of ${len} bytes exceeds ${MAX_RECORD_PAYLOAD}`)
    records++
    const start = off + 5
    const end = start + len
    const avail = buf.subarray(start, Math.min(end, buf.length))
    if (avail.length > 0) { fragments.push(avail); have += avail.length }
    if (need < 0 && have >= 1 && byteAt(0) !== HANDSHAKE_CLIENT_HELLO) bad(`handshake type ${byteAt(0)} is not client_hello`)
    if (need < 0 && have >= 4) {
      const bodyLen = (byteAt(1) << 16) | (byteAt(2) << 8) | byteAt(3)
      if (4 + bodyLen > maxBytes) throw new CHAIN_ERR_CLIENT_HELLO_TOO_LARGE(4 + bodyLen, maxBytes)
      need = 4 + bodyLen
    }
    if (need >= 0 && have > need) bad('record carries bytes after the ClientHello')
    if (end > buf.length) return NEED_MORE
    off = end
    if (need >= 0 && have === need) {
      const msg = fragments.length === 1 ? fragments[0] : Buffer.concat(fragments, have)
      return { status: 'done', hello: parseBody(msg.subarray(4)), bytes: off }
    }
  }
}

/** A cursor over one vector; every read checks the bounds. */
class Reader {
  readonly buf: Buffer
  pos = 0
  readonly what: string
  constructor (buf: Buffer, what: string) { this.buf = buf; this.what = what }
  get left (): number { return this.buf.length - this.pos }
  take (n: number, field: string): Buffer {
    if (n > this.left) bad(`${field} overruns ${this.what}`)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }
  u8 (field: string): number { return this.take(1, field)[0] }
  u16 (field: string): number { return this.take(2, field).readUInt16BE(0) }
  vec8 (field: string): Reader { return new Reader(this.take(this.u8(field), field), field) }
  vec16 (field: string): Reader { return new Reader(this.take(this.u16(field), field), field) }
  end (): void { if (this.left !== 0) bad(`${this.left} stray bytes at the end of ${this.what}`) }
}

function parseBody (body: Buffer): ClientHelloFacts {
  const r = new Reader(body, 'ClientHello')
  const legacyVersion = r.u16('legacy_version')
  r.take(32, 'random')
  const session = r.vec8('legacy_session_id')
  if (session.left > 32) bad(`session id of ${session.left} bytes`)
  const suites = r.vec16('cipher_suites')
  if (suites.left < 2 || suites.left % 2 !== 0) bad(`cipher_suites of ${suites.left} bytes`)
  const cipherSuites: number[] = []
  while (suites.left > 0) cipherSuites.push(suites.u16('cipher suite'))
  const compression = r.vec8('legacy_compression_methods')
  if (compression.left < 1) bad('no compression methods')
  const facts: ClientHelloFacts = { alpn: [], legacyVersion, supportedVersions: [], cipherSuites, hasEarlyData: false }
  if (r.left === 0) return facts // before TLS 1.2 the extensions block may be absent
  const exts = r.vec16('extensions')
  r.end()
  const seen = new Set<number>()
  while (exts.left > 0) {
    const type = exts.u16('extension type')
    const data = exts.vec16(`extension ${type}`)
    if (seen.has(type)) bad(`duplicate extension ${type}`)
    seen.add(type)
    if (type === EXT_SERVER_NAME) facts.sni = parseServerName(data)
    else if (type === EXT_ALPN) facts.alpn = parseAlpn(data)
    else if (type === EXT_SUPPORTED_VERSIONS) facts.supportedVersions = parseSupportedVersions(data)
    else if (type === EXT_EARLY_DATA) { data.end(); facts.hasEarlyData = true }
  }
  if (facts.sni === undefined) delete facts.sni
  return facts
}

function parseServerName (data: Reader): string | undefined {
  const list = data.vec16('server_name_list')
  data.end()
  if (list.left === 0) bad('empty server_name_list')
  let host: string | undefined
  while (list.left > 0) {
    const nameType = list.u8('name_type')
    const name = list.vec16('host_name')
    if (nameType !== 0) continue // only host_name is defined; others are ignored
    if (host !== undefined) bad('two host_name entries')
    host = hostName(name.buf)
  }
  return host
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/** An LDH DNS host name (RFC 1123 §2.1), no trailing dot (RFC 6066 §3), lower-cased. */
function hostName (bytes: Buffer): string {
  if (bytes.length === 0 || bytes.length > 253) bad(`server name of ${bytes.length} bytes`)
  const name = bytes.toString('latin1').toLowerCase()
  for (const label of name.split('.')) {
    if (!LABEL.test(label)) bad('server name is not a DNS host name')
  }
  return name
}

function parseAlpn (data: Reader): string[] {
  const list = data.vec16('protocol_name_list')
  data.end()
  if (list.left === 0) bad('empty ALPN list')
  const out: string[] = []
  while (list.left > 0) {
    const p = list.vec8('protocol name')
    if (p.left === 0) bad('empty ALPN protocol name')
    out.push(p.buf.toString('latin1'))
  }
  return out
}

function parseSupportedVersions (data: Reader): number[] {
  const list = data.vec8('supported_versions')
  data.end()
  if (list.left < 2 || list.left % 2 !== 0) bad(`supported_versions of ${list.left} bytes`)
  const out: number[] = []
  while (list.left > 0) out.push(list.u16('version'))
  return out
}
