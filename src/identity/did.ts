// did:dev ⇄ public key ⇄ libp2p peer id. A device is named by its Ed25519 public key:
// did:dev:<base64url, no padding, of the 32 raw bytes>. The libp2p peer id of an Ed25519 key embeds
// the same 32 bytes (identity multihash), so all three are pure conversions of one another.
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { Ed25519PeerId, PeerId } from '@libp2p/interface'
import { ID_ERR_INVALID_DID, ID_ERR_INVALID_PUBLIC_KEY, ID_ERR_NOT_ED25519 } from './errors.ts'
import { showValue } from '../core/show-value.ts'

export const DID_PREFIX = 'did:dev:'
export const ED25519_PUBLIC_KEY_BYTES = 32

// 32 bytes are 43 base64url characters; the last one carries 2 padding bits that must be zero,
// so only 16 letters can end a canonical key. Checking this keeps one key ⇄ one spelling.
const KEY_TEXT = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/

/** The pattern a did:dev string must match (for schemas; the functions below check the same). */
export const DID_PATTERN = `^did:dev:[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$`

export function didFromPublicKey (raw: Uint8Array): string {
  if (!(raw instanceof Uint8Array) || raw.byteLength !== ED25519_PUBLIC_KEY_BYTES) {
    throw new ID_ERR_INVALID_PUBLIC_KEY(`expected ${ED25519_PUBLIC_KEY_BYTES} bytes, got ${raw instanceof Uint8Array ? raw.byteLength : typeof raw}`)
  }
  return DID_PREFIX + Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64url')
}

/** The 32 raw public key bytes a did:dev names. */
export function publicKeyFromDid (did: string): Uint8Array {
  if (typeof did !== 'string') throw new ID_ERR_INVALID_DID(showValue(did), 'not a string')
  if (!did.startsWith(DID_PREFIX)) throw new ID_ERR_INVALID_DID(shorten(did), `must start with "${DID_PREFIX}"`)
  const text = did.slice(DID_PREFIX.length)
  if (!KEY_TEXT.test(text)) {
    throw new ID_ERR_INVALID_DID(shorten(did), `must be "${DID_PREFIX}" and 43 base64url characters (an Ed25519 public key)`)
  }
  return new Uint8Array(Buffer.from(text, 'base64url'))
}

// Input may come from a peer or a file: keep messages short whatever was passed.
function shorten (text: string): string {
  return text.length > 80 ? text.slice(0, 77) + '...' : text
}

/** True when `text` is a canonical did:dev string. */
export function isDid (text: unknown): text is string {
  return typeof text === 'string' && text.startsWith(DID_PREFIX) && KEY_TEXT.test(text.slice(DID_PREFIX.length))
}

export function peerIdFromDid (did: string): Ed25519PeerId {
  const raw = publicKeyFromDid(did)
  let key
  try {
    key = publicKeyFromRaw(raw)
  } catch (err) {
    throw new ID_ERR_INVALID_DID(did, 'not an Ed25519 public key', { cause: err })
  }
  if (key.type !== 'Ed25519') throw new ID_ERR_INVALID_DID(did, `decodes to a ${key.type} key`)
  return peerIdFromPublicKey(key)
}

export function didFromPeerId (peerId: PeerId): string {
  if (peerId?.type !== 'Ed25519' || peerId.publicKey == null) throw new ID_ERR_NOT_ED25519(String(peerId?.type))
  return didFromPublicKey(peerId.publicKey.raw)
}
