// Device key files: an Ed25519 private key as PKCS#8 PEM, readable by the owner only. The key is
// made and parsed with node:crypto (OpenSSL), then handed to libp2p as its own key type.
import { generateKeyPairSync, createPrivateKey, randomBytes, type KeyObject } from 'node:crypto'
import { open, readFile, rename, mkdir, rm } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import type { Ed25519PrivateKey } from '@libp2p/interface'
import { didFromPublicKey, ED25519_PUBLIC_KEY_BYTES } from './did.ts'
import { ID_ERR_KEY_FILE_EXISTS, ID_ERR_KEY_FILE_READ, ID_ERR_INVALID_KEY_FILE, ID_ERR_INVALID_KEY } from './errors.ts'

export interface DeviceKey {
  /** did:dev:<base64url public key> */
  did: string
  /** The key as libp2p uses it (Noise static key, peer id). */
  privateKey: Ed25519PrivateKey
  /** The 32 raw bytes of the public key. */
  publicKeyRaw: Uint8Array
  /** The same key for node:crypto: signs tokens and documents (src/identity/jwt.ts). */
  signingKey: KeyObject
}

export interface GenerateKeyFileOptions {
  /** Replace an existing file. Without it an existing file is an ID_ERR_KEY_FILE_EXISTS error. */
  force?: boolean
}

const KEY_FILE_MODE = 0o600

/**
 * The libp2p key for an Ed25519 seed. libp2p's raw Ed25519 private key is seed ‖ public key
 * (64 bytes); given the 32-byte seed alone, privateKeyFromRaw takes it for a secp256k1 key and
 * silently yields a different identity. Both halves are required here for that reason.
 */
export function ed25519KeyFromSeed (seed: Uint8Array, publicKey: Uint8Array): Ed25519PrivateKey {
  if (seed.byteLength !== 32 || publicKey.byteLength !== ED25519_PUBLIC_KEY_BYTES) {
    throw new ID_ERR_INVALID_KEY(`needs a 32-byte seed and a 32-byte public key, got ${seed.byteLength} and ${publicKey.byteLength} bytes`)
  }
  const raw = new Uint8Array(64)
  raw.set(seed, 0)
  raw.set(publicKey, 32)
  const key = privateKeyFromRaw(raw)
  if (key.type !== 'Ed25519') throw new ID_ERR_INVALID_KEY(`libp2p made a ${key.type} key from 64 bytes`)
  return key
}

/** Write a new Ed25519 device key to `file` (mode 0600) and return its did:dev. */
export async function generateKeyFile (file: string, options: GenerateKeyFileOptions = {}): Promise<{ did: string, file: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
  const did = didFromPublicKey(rawPublicKey(publicKey))
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  if (options.force === true) {
    // Write beside the target and rename, so the file is never seen half-written or with a
    // wider mode, and an existing file's old mode does not carry over.
    const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
    try {
      await writeNew(tmp, pem)
      await rename(tmp, file)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
  } else {
    try {
      await writeNew(file, pem)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ID_ERR_KEY_FILE_EXISTS(file, { cause: err })
      throw err
    }
  }
  return { did, file }
}

/** Create `file` exclusively with mode 0600 and write `text`. */
async function writeNew (file: string, text: string): Promise<void> {
  const fh = await open(file, 'wx', KEY_FILE_MODE)
  try {
    await fh.writeFile(text)
    // The umask can only clear bits, but be explicit: the file must end up exactly 0600.
    await fh.chmod(KEY_FILE_MODE)
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Read a device key file written by generateKeyFile (or `openssl genpkey -algorithm ed25519`). */
export async function loadDeviceKey (file: string): Promise<DeviceKey> {
  let pem: string
  try {
    pem = await readFile(file, 'utf8')
  } catch (err) {
    throw new ID_ERR_KEY_FILE_READ(file, (err as NodeJS.ErrnoException).code ?? String(err), { cause: err })
  }
  return deviceKeyFromPem(pem, file)
}

/** Parse PKCS#8 PEM text; `file` only names the source in errors. */
export function deviceKeyFromPem (pem: string, file = '<pem>'): DeviceKey {
  let key: KeyObject
  try {
    key = createPrivateKey({ key: pem, format: 'pem' })
  } catch (err) {
    throw new ID_ERR_INVALID_KEY_FILE(file, (err as Error).message, { cause: err })
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ID_ERR_INVALID_KEY_FILE(file, `it holds a ${key.asymmetricKeyType ?? 'symmetric'} key`)
  }
  // JWK export gives the seed (d) and public key (x) without hand-slicing DER.
  const jwk = key.export({ format: 'jwk' })
  const seed = Buffer.from(jwk.d ?? '', 'base64url')
  const publicKeyRaw = new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))
  const privateKey = ed25519KeyFromSeed(seed, publicKeyRaw)
  // libp2p does not check that the public half matches the seed; make sure it derived the same.
  if (!Buffer.from(privateKey.publicKey.raw).equals(publicKeyRaw)) {
    throw new ID_ERR_INVALID_KEY_FILE(file, 'libp2p derived a different public key')
  }
  return { did: didFromPublicKey(publicKeyRaw), privateKey, publicKeyRaw, signingKey: key }
}

function rawPublicKey (publicKey: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url'))
}
