// The public shapes of the ACME manager (the shared contract's "ACME" section).
import type { Logger } from '../core/logger.ts'
import type { CertStore } from '../chain/tls/cert-store.ts'

export type { CertStore }

/** Small string values by key ("account/key", "cert/<id>/chain"); synchronous, durable on return. */
export interface AcmeStateStore { get (key: string): string | undefined, set (key: string, value: string): void, delete (key: string): void }

/** fqdn = "_acme-challenge.<name>"; several values may be published at one name at once (a.test and *.a.test). */
export interface Dns01Solver { publish (fqdn: string, value: string): Promise<void>, remove (fqdn: string, value: string): Promise<void> }
export interface Http01Solver { publish (token: string, keyAuthorization: string): Promise<void>, remove (token: string): Promise<void> }

export interface CertificateSpec { id: string, names: string[], challenge: 'dns-01' | 'http-01' }

export interface CertificateStatus { id: string, names: string[], notAfter?: string, renewAt?: string, lastError?: string, nextAttemptAt?: string }

export interface AcmeManager {
  /** A live CertStore for a certificate id; select() throws ACME_ERR_NOT_ISSUED until issued. */
  certStore (id: string): CertStore
  /**
   * Issue any missing/expiring certificate now; resolves when all are valid or failed (failures back off).
   * Call once at start: afterwards the manager re-arms its own (unref'd) timers until stop().
   * A certificate inside its backoff window is left alone, also by ensure().
   */
  ensure (): Promise<void>
  status (): CertificateStatus[]
  on (event: 'issued', fn: (id: string) => void): void
  stop (): void
}

export interface AcmeManagerInit {
  directoryUrl: string
  email?: string
  /** PEM trusted for the ACME server's HTTPS instead of the default roots (a private or test CA); this client only. */
  caBundle?: string
  certificates: CertificateSpec[]
  state: AcmeStateStore
  dns01?: Dns01Solver
  http01?: Http01Solver
  /** Resolves once the solver's TXT value is visible where the CA will look (e.g. query the SN's DNS). */
  waitDns?: (fqdn: string, value: string, signal: AbortSignal) => Promise<void>
  renewBeforeMs?: number
  logger: Logger
  now?: () => number
}
