import t from 'tap'
import { join } from 'node:path'
import { stat, readFile, writeFile, chmod } from 'node:fs/promises'
import { generateKeyPairSync, createPublicKey, verify } from 'node:crypto'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateKeyFile, loadDeviceKey, deviceKeyFromPem, ed25519KeyFromSeed } from '../../../src/identity/key-file.ts'
import { peerIdFromDid, didFromPeerId, publicKeyFromDid } from '../../../src/identity/did.ts'

const mode = async (file: string): Promise<number> => (await stat(file)).mode & 0o777

t.test('generateKeyFile writes PKCS#8 PEM with mode 0600 and loadDeviceKey reads the same identity', async t => {
  const dir = t.testdir()
  const file = join(dir, 'keys', 'home.pem')
  const { did } = await generateKeyFile(file)
  t.equal(await mode(file), 0o600)
  const pem = await readFile(file, 'utf8')
  t.match(pem, /^-----BEGIN PRIVATE KEY-----\n/)
  const key = await loadDeviceKey(file)
  t.equal(key.did, did)
  t.equal(key.privateKey.type, 'Ed25519')
  t.same(Buffer.from(key.publicKeyRaw), Buffer.from(publicKeyFromDid(did)))
  t.ok(peerIdFromPrivateKey(key.privateKey).equals(peerIdFromDid(did)), 'the libp2p peer id is the did')
  t.equal(didFromPeerId(peerIdFromPrivateKey(key.privateKey)), did)
})

t.test('the libp2p key signs what node:crypto verifies with the file\'s public key', async t => {
  const file = join(t.testdir(), 'k.pem')
  await generateKeyFile(file)
  const key = await loadDeviceKey(file)
  const message = Buffer.from('zonegate')
  const signature = await key.privateKey.sign(message)
  const publicKey = createPublicKey(await readFile(file, 'utf8'))
  t.ok(verify(null, message, publicKey, signature), 'one key, two libraries')
})

t.test('an existing file is not overwritten unless forced; forcing restores mode 0600', async t => {
  const file = join(t.testdir(), 'k.pem')
  const first = await generateKeyFile(file)
  const before = await readFile(file, 'utf8')
  await t.rejects(generateKeyFile(file), { code: 'ID_ERR_KEY_FILE_EXISTS' })
  t.equal(await readFile(file, 'utf8'), before, 'untouched')
  await chmod(file, 0o644)
  const second = await generateKeyFile(file, { force: true })
  t.not(second.did, first.did, 'a new key')
  t.equal(await mode(file), 0o600)
  t.equal((await loadDeviceKey(file)).did, second.did)
})

t.test('the 64-byte pitfall: a 32-byte seed alone makes a different (secp256k1) identity', async t => {
  const { privateKey } = generateKeyPairSync('ed25519')
  const jwk = privateKey.export({ format: 'jwk' })
  const seed = Buffer.from(jwk.d!, 'base64url')
  const pub = Buffer.from(jwk.x!, 'base64url')

  const wrong = privateKeyFromRaw(seed)
  t.not(wrong.type, 'Ed25519', 'privateKeyFromRaw(seed) is not an Ed25519 key')
  t.equal(wrong.type, 'secp256k1')

  const right = ed25519KeyFromSeed(seed, pub)
  t.equal(right.type, 'Ed25519')
  t.same(Buffer.from(right.publicKey.raw), pub, 'the public key node:crypto made')
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
  const loaded = deviceKeyFromPem(pem)
  t.ok(peerIdFromPrivateKey(loaded.privateKey).equals(peerIdFromPrivateKey(right)), 'loadDeviceKey builds the right one')
  t.notOk(peerIdFromPrivateKey(wrong).equals(peerIdFromPrivateKey(right)), 'the seed-only key has another peer id')

  t.throws(() => ed25519KeyFromSeed(seed, pub.subarray(1)), { code: 'ID_ERR_INVALID_KEY' })
  t.throws(() => ed25519KeyFromSeed(seed.subarray(1), pub), { code: 'ID_ERR_INVALID_KEY' })
})

t.test('a key made elsewhere (any PKCS#8 Ed25519 PEM) loads', async t => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const file = join(t.testdir(), 'openssl.pem')
  await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
  const key = await loadDeviceKey(file)
  t.same(Buffer.from(key.publicKeyRaw), Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url'))
})

t.test('bad key files give coded errors', async t => {
  const dir = t.testdir()
  await t.rejects(loadDeviceKey(join(dir, 'missing.pem')), { code: 'ID_ERR_KEY_FILE_READ' })
  const cases: Record<string, string> = {
    'garbage.pem': 'not a key at all\n',
    'truncated.pem': '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIE\n-----END PRIVATE KEY-----\n',
    'rsa.pem': generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    'public.pem': generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string,
    'empty.pem': ''
  }
  for (const [name, text] of Object.entries(cases)) {
    const file = join(dir, name)
    await writeFile(file, text)
    await t.rejects(loadDeviceKey(file), { code: 'ID_ERR_INVALID_KEY_FILE' }, name)
  }
})
