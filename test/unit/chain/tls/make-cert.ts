// Throwaway certificates for the TLS tests, made at test start with the openssl CLI (STYLE
// section 10). Unlike test/helpers/self-signed.ts this one takes any set of DNS names (or none,
// leaving only the CN) and can back-date a certificate so it is already expired, which
// `openssl req` cannot do: that case goes through `openssl ca -selfsign` with explicit dates.
import { execFile } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface MadeCert { certFile: string, keyFile: string, fingerprint256: string }

export interface CertOptions {
  cn: string
  /** subjectAltName DNS entries; [] for none (names then come from the CN). */
  dns?: string[]
  expired?: boolean
}

export async function makeCert (dir: string, label: string, options: CertOptions): Promise<MadeCert> {
  const base = join(dir, label)
  await mkdir(base, { recursive: true })
  const keyFile = join(base, 'key.pem')
  const certFile = join(base, 'cert.pem')
  const dns = options.dns ?? [options.cn]
  const san = dns.length > 0 ? ['-addext', `subjectAltName=${dns.map(d => `DNS:${d}`).join(',')}`] : []
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-subj', `/CN=${options.cn}`]
  if (options.expired !== true) {
    await run('openssl', ['req', '-x509', ...key, '-out', certFile, '-days', '1', ...san])
  } else {
    const csr = join(base, 'csr.pem')
    const cnf = join(base, 'ca.cnf')
    await writeFile(join(base, 'index.txt'), '')
    await writeFile(join(base, 'serial'), '01\n')
    await writeFile(cnf, [
      '[ca]', 'default_ca = d', '[d]', `database = ${join(base, 'index.txt')}`, `new_certs_dir = ${base}`,
      `serial = ${join(base, 'serial')}`, 'default_md = sha256', 'policy = p', 'copy_extensions = copy',
      'unique_subject = no', '[p]', 'commonName = supplied', ''
    ].join('\n'))
    await run('openssl', ['req', '-new', ...key, '-out', csr, ...san])
    await run('openssl', ['ca', '-batch', '-config', cnf, '-selfsign', '-keyfile', keyFile, '-in', csr, '-out', certFile,
      '-notext', '-startdate', '20200101000000Z', '-enddate', '20200102000000Z'])
  }
  return { certFile, keyFile, fingerprint256: new X509Certificate(await readFile(certFile)).fingerprint256 }
}
