// A throwaway self-signed certificate for tests, made at test start with the openssl CLI (STYLE
// section 10: no committed keys). Valid for localhost, 127.0.0.1 and ::1.
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

export interface SelfSigned { key: Buffer, cert: Buffer }

export async function selfSigned (dir: string, commonName = 'localhost'): Promise<SelfSigned> {
  const keyFile = join(dir, 'key.pem')
  const certFile = join(dir, 'cert.pem')
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${commonName}`,
    '-addext', `subjectAltName=DNS:${commonName},IP:127.0.0.1,IP:::1`
  ])
  return { key: await readFile(keyFile), cert: await readFile(certFile) }
}
