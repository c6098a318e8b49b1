// One managed certificate as the TLS layer sees it: a CertStore whose SecureContext is swapped
// in place when a renewal lands, so listeners holding the object serve the new chain at once.
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { createSecureContext, type SecureContext } from 'node:tls'
import type { CertStore } from './types.ts'
import { ACME_ERR_BAD_CHAIN, ACME_ERR_NOT_ISSUED } from './errors.ts'
import { certNames } from '../chain/tls/cert-store.ts'

export interface ParsedChain { context: SecureContext, leaf: X509Certificate, notBefore: number, notAfter: number, names: string[] }

/** Checks a PEM chain against its key and the names it must cover, and builds the context. */
export function parseChain (id: string, chainPem: string, keyPem: string, wanted: readonly string[]): ParsedChain {
  let leaf: X509Certificate
  try {
    leaf = new X509Certificate(chainPem)
  } catch (err) {
    throw new ACME_ERR_BAD_CHAIN(id, (err as Error).message, { cause: err })
  }
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) throw new ACME_ERR_BAD_CHAIN(id, 'the leaf does not match the certificate key')
  const names = certNames(leaf).map(n => n.toLowerCase())
  const missing = wanted.filter(n => !names.includes(n.toLowerCase()))
  if (missing.length > 0) throw new ACME_ERR_BAD_CHAIN(id, `names not covered: ${missing.join(', ')}`)
  let context: SecureContext
  try {
    context = createSecureContext({ cert: chainPem, key: keyPem })
  } catch (err) {
    throw new ACME_ERR_BAD_CHAIN(id, (err as Error).message, { cause: err })
  }
  return { context, leaf, notBefore: Date.parse(leaf.validFrom), notAfter: Date.parse(leaf.validTo), names }
}

export interface LiveCertStore extends CertStore {
  swap (chain: ParsedChain): void
  current (): ParsedChain | undefined
  setWarnings (warnings: string[]): void
}

export function liveCertStore (id: string, names: readonly string[]): LiveCertStore {
  let chain: ParsedChain | undefined
  let warnings: string[] = []
  return {
    // One certificate per id: every server name gets it (the TLS layer routed here by name).
    select () {
      if (chain === undefined) throw new ACME_ERR_NOT_ISSUED(id)
      return chain.context
    },
    names: () => [...names],
    get warnings () { return warnings },
    swap (next) { chain = next },
    current: () => chain,
    setWarnings (next) { warnings = next }
  }
}
