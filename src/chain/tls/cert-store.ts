// Certificates for tls_terminate, indexed by server name. Each CertSpec is loaded once: files
// read, PEM parsed with node:crypto, the key checked against the certificate, one SecureContext
// made. Lookup is two Map probes, never a scan: exact name, then the wildcard for the parent
// ("*.example.com" serves "a.example.com" but neither "a.b.example.com" nor "example.com", as
// in RFC 6125 §6.4.3), then the first certificate as the default.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createSecureContext, type SecureContext } from 'node:tls'
import type { CertSpec } from '../types.ts'
import {
  CHAIN_ERR_TLS_BAD_CERT, CHAIN_ERR_TLS_BAD_KEY, CHAIN_ERR_TLS_BAD_NAME, CHAIN_ERR_TLS_FILE_UNREADABLE,
  CHAIN_ERR_TLS_KEY_MISMATCH, CHAIN_ERR_TLS_NO_CERTS
} from './errors.ts'

export interface CertStore {
  /** The SecureContext for a server name: exact name first, then the wildcard for its parent, then the default (first cert). */
  select (servername: string | undefined): SecureContext
  /** Every name served, in spec order, for logs and dry runs. */
  names (): string[]
  /** Loadable but suspicious: expired or not yet valid certificates, pairs without names, duplicate names. */
  readonly warnings: readonly string[]
}

export interface LoadCertOptions {
  /** Clock for the validity check (tests). */
  now?: Date
}

interface Loaded { context: SecureContext, names: string[], cert: X509Certificate }

export async function loadCertStore (specs: readonly CertSpec[], options: LoadCertOptions = {}): Promise<CertStore> {
  if (specs.length === 0) throw new CHAIN_ERR_TLS_NO_CERTS()
  const now = options.now ?? new Date()
  const loaded = await Promise.all(specs.map(loadPair))
  const warnings: string[] = []
  const exact = new Map<string, SecureContext>()
  const wildcard = new Map<string, SecureContext>() // parent ("example.com") → context
  const names: string[] = []
  loaded.forEach((l, i) => {
    const file = specs[i].certFile
    const from = new Date(l.cert.validFrom)
    const to = new Date(l.cert.validTo)
    if (to < now) warnings.push(`${file}: certificate expired on ${to.toISOString()}`)
    if (from > now) warnings.push(`${file}: certificate is not valid before ${from.toISOString()}`)
    if (l.names.length === 0) warnings.push(`${file}: certificate names no host; it only serves as the default`)
    for (const name of l.names) {
      const map = name.startsWith('*.') ? wildcard : exact
      const key = name.startsWith('*.') ? name.slice(2) : name
      // The first pair naming a host keeps it, as routes do: file order decides.
      if (map.has(key)) { warnings.push(`${file}: ${name} is already served by an earlier certificate`); continue }
      map.set(key, l.context)
      names.push(name)
    }
  })
  const fallback = loaded[0].context
  return {
    select (servername) {
      if (servername === undefined || servername === '') return fallback
      const name = normalise(servername)
      const hit = exact.get(name)
      if (hit !== undefined) return hit
      const dot = name.indexOf('.')
      return (dot > 0 ? wildcard.get(name.slice(dot + 1)) : undefined) ?? fallback
    },
    names: () => [...names],
    warnings
  }
}

/** Lower case, no trailing dot: how names are keyed. */
function normalise (name: string): string {
  const lower = name.toLowerCase()
  return lower.endsWith('.') ? lower.slice(0, -1) : lower
}

async function read (file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (err) {
    throw new CHAIN_ERR_TLS_FILE_UNREADABLE(file, (err as { code?: string }).code ?? (err as Error).message, { cause: err })
  }
}

async function loadPair (spec: CertSpec): Promise<Loaded> {
  const [certPem, keyPem] = await Promise.all([read(spec.certFile), read(spec.keyFile)])
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem) // the first certificate of the file: the leaf
  } catch (err) {
    throw new CHAIN_ERR_TLS_BAD_CERT(spec.certFile, (err as Error).message, { cause: err })
  }
  let key: KeyObject
  try {
    key = createPrivateKey(keyPem)
  } catch (err) {
    throw new CHAIN_ERR_TLS_BAD_KEY(spec.keyFile, (err as Error).message, { cause: err })
  }
  if (!cert.checkPrivateKey(key)) throw new CHAIN_ERR_TLS_KEY_MISMATCH(spec.keyFile, spec.certFile)
  let context: SecureContext
  try {
    // The whole cert file goes in, so intermediates after the leaf are sent too.
    context = createSecureContext({ cert: certPem, key: keyPem })
  } catch (err) {
    throw new CHAIN_ERR_TLS_BAD_CERT(spec.certFile, (err as Error).message, { cause: err })
  }
  const names = (spec.sni.length > 0 ? [...spec.sni] : certNames(cert)).map(normalise)
  for (const name of names) checkName(name, spec.certFile)
  return { context, names: [...new Set(names)], cert }
}

function checkName (name: string, file: string): void {
  const rest = name.startsWith('*.') ? name.slice(2) : name
  if (rest === '' || rest.includes('*') || rest.startsWith('.') || rest.includes('..')) throw new CHAIN_ERR_TLS_BAD_NAME(JSON.stringify(name), file)
}

/** SAN dNSName entries, else the subject CN (RFC 6125 falls back to CN only without SANs). */
export function certNames (cert: X509Certificate): string[] {
  const dns: string[] = []
  for (const entry of splitAltNames(cert.subjectAltName ?? '')) {
    if (entry.startsWith('DNS:')) dns.push(unquote(entry.slice(4)))
  }
  if (dns.length > 0) return dns
  const cn = (cert.subject ?? '').split('\n').find(line => line.startsWith('CN='))
  return cn !== undefined ? [unquote(cn.slice(3))] : []
}

/** node joins entries with ", " and JSON-quotes values that contain separators. */
function splitAltNames (text: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted
    if (!quoted && c === ',' && text[i + 1] === ' ') { out.push(cur); cur = ''; i++; continue }
    cur += c
  }
  if (cur !== '') out.push(cur)
  return out
}

function unquote (value: string): string {
  if (!value.startsWith('"')) return value
  try { return String(JSON.parse(value)) } catch { return value }
}
