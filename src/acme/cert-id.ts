// The ACME Renewal Information certificate identifier (RFC 9773 §4.1):
// base64url(authorityKeyIdentifier.keyIdentifier) "." base64url(serialNumber content octets).
// node:crypto exposes neither the AKI bytes nor the serial's DER octets, so this walks the
// certificate's DER with a bounded TLV reader; anything malformed is ACME_ERR_BAD_DER.
import { ACME_ERR_BAD_DER } from './errors.ts'

interface Tlv { tag: number, start: number, end: number }

const AKI_OID = Buffer.from([0x55, 0x1d, 0x23]) // 2.5.29.35

function readTlv (der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw new ACME_ERR_BAD_DER('truncated header')
  const tag = der[offset]
  if ((tag & 0x1f) === 0x1f) throw new ACME_ERR_BAD_DER('multi-byte tag')
  let len = der[offset + 1]
  let start = offset + 2
  if (len & 0x80) {
    const n = len & 0x7f
    if (n === 0 || n > 4) throw new ACME_ERR_BAD_DER('unsupported length form')
    if (start + n > limit) throw new ACME_ERR_BAD_DER('truncated length')
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]
    start += n
  }
  const end = start + len
  if (end > limit) throw new ACME_ERR_BAD_DER('length runs past its container')
  return { tag, start, end }
}

function children (der: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = []
  let at = parent.start
  while (at < parent.end) {
    const t = readTlv(der, at, parent.end)
    out.push(t)
    at = t.end
  }
  return out
}

function expect (t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t === undefined || t.tag !== tag) throw new ACME_ERR_BAD_DER(`expected ${what}`)
  return t
}

/** The ARI certID of a DER certificate. */
export function certIdOf (der: Uint8Array): string {
  const cert = expect(readTlv(der, 0, der.length), 0x30, 'Certificate SEQUENCE')
  const tbs = expect(children(der, cert)[0], 0x30, 'TBSCertificate SEQUENCE')
  const fields = children(der, tbs)
  let i = 0
  if (fields[i]?.tag === 0xa0) i++ // [0] version
  const serial = expect(fields[i], 0x02, 'serialNumber INTEGER')
  if (serial.end === serial.start) throw new ACME_ERR_BAD_DER('empty serialNumber')
  const extsWrapper = fields.find(f => f.tag === 0xa3) // [3] extensions
  if (extsWrapper === undefined) throw new ACME_ERR_BAD_DER('no extensions')
  const exts = expect(children(der, extsWrapper)[0], 0x30, 'Extensions SEQUENCE')
  for (const ext of children(der, exts)) {
    const parts = children(der, expect(ext, 0x30, 'Extension SEQUENCE'))
    const oid = expect(parts[0], 0x06, 'extnID')
    if (!Buffer.from(der.subarray(oid.start, oid.end)).equals(AKI_OID)) continue
    const value = expect(parts[parts.length - 1], 0x04, 'extnValue OCTET STRING')
    const aki = expect(readTlv(der, value.start, value.end), 0x30, 'AuthorityKeyIdentifier SEQUENCE')
    const keyId = children(der, aki).find(c => c.tag === 0x80) // [0] IMPLICIT keyIdentifier
    if (keyId === undefined || keyId.end === keyId.start) throw new ACME_ERR_BAD_DER('no keyIdentifier in authorityKeyIdentifier')
    return `${b64u(der.subarray(keyId.start, keyId.end))}.${b64u(der.subarray(serial.start, serial.end))}`
  }
  throw new ACME_ERR_BAD_DER('no authorityKeyIdentifier extension')
}

function b64u (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url')
}
