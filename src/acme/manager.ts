// Keeps a set of certificates issued and renewed through an ACME CA. Per certificate: at most one
// order at a time (a shared promise), a timer for the next renewal or retry (unref'd, so it never
// keeps the process alive), exponential backoff persisted with the error so a restart neither
// hammers the CA nor forgets why it failed. Renewal time: the CA's ARI window when its directory
// offers renewalInfo, else notAfter − renewBefore (default: a third of the lifetime).
import { EventEmitter } from 'node:events'
import type { AcmeManager, AcmeManagerInit, CertificateSpec, CertificateStatus, CertStore } from './types.ts'
import { liveCertStore, parseChain, type LiveCertStore } from './live-cert.ts'
import { nextBackoff, parseBackoff, type Backoff } from './backoff.ts'
import { connect, httpsAgent } from './client.ts'
import { keys, runOrder } from './order.ts'
import { fetchRenewalInfo, pickInWindow, renewalInfoBase } from './ari.ts'
import { certIdOf } from './cert-id.ts'
import { ACME_ERR_BAD_SPEC, ACME_ERR_NO_SOLVER, ACME_ERR_UNKNOWN_CERT } from './errors.ts'

const MAX_TIMER_MS = 2 ** 31 - 1
/** After an issuance, the next order waits at least this long: a guard against renewal loops (clock skew, short certificates). */
const MIN_REISSUE_GAP_MS = 3600_000
const DIRECTORY_TTL_MS = 24 * 3600_000
const ARI_ERROR_RETRY_MS = 3600_000
const ID = /^[a-z0-9][a-z0-9_-]{0,62}$/
const NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/

interface AriState { renewAt: number, nextCheckAt: number }

interface Managed {
  spec: CertificateSpec
  store: LiveCertStore
  backoff?: Backoff
  lastError?: string
  ari?: AriState
  /** When the last ARI question failed: ask again then, not on every wake-up. */
  ariRetryAt?: number
  lastIssuedAt?: number
  running?: Promise<void>
  timer?: NodeJS.Timeout
}

export function createAcmeManager (init: AcmeManagerInit): AcmeManager {
  const now = init.now ?? Date.now
  const logger = init.logger.child({ mod: 'acme' })
  const agent = httpsAgent(init.caBundle)
  const stopping = new AbortController()
  const events = new EventEmitter()
  const certs = new Map<string, Managed>()
  let directory: { base: string | undefined, fetchedAt: number } | undefined

  for (const spec of init.certificates) {
    checkSpec(spec)
    if (certs.has(spec.id)) throw new ACME_ERR_BAD_SPEC(spec.id, 'duplicate id')
    if (spec.challenge === 'dns-01' && init.dns01 === undefined) throw new ACME_ERR_NO_SOLVER(spec.id, spec.challenge)
    if (spec.challenge === 'http-01' && init.http01 === undefined) throw new ACME_ERR_NO_SOLVER(spec.id, spec.challenge)
    certs.set(spec.id, load({ ...spec, names: spec.names.map(n => n.toLowerCase()) }))
  }

  function load (spec: CertificateSpec): Managed {
    const m: Managed = { spec, store: liveCertStore(spec.id, spec.names) }
    const chain = init.state.get(keys.chain(spec.id))
    const key = init.state.get(keys.key(spec.id))
    if (chain !== undefined && key !== undefined) {
      try {
        m.store.swap(parseChain(spec.id, chain, key, []))
      } catch (err) {
        logger.warn({ cert: spec.id, err }, 'acme persisted certificate unusable; will reissue')
      }
    }
    const backoffText = init.state.get(keys.backoff(spec.id))
    m.backoff = parseBackoff(backoffText)
    if (m.backoff !== undefined) {
      const lastError = (JSON.parse(backoffText!) as { lastError?: unknown }).lastError
      if (typeof lastError === 'string') m.lastError = lastError
    }
    try {
      const ari = JSON.parse(init.state.get(keys.ari(spec.id)) ?? 'null') as AriState | null
      if (ari !== null && typeof ari.renewAt === 'number' && typeof ari.nextCheckAt === 'number') m.ari = ari
    } catch {}
    updateWarnings(m)
    return m
  }

  /** Missing, or issued for other names (the config changed): order now; else at the renewal time. */
  function renewAt (m: Managed): number | undefined {
    const chain = m.store.current()
    if (chain === undefined) return undefined
    if (m.ari !== undefined) return m.ari.renewAt
    const lifetime = chain.notAfter - chain.notBefore
    const before = init.renewBeforeMs !== undefined && init.renewBeforeMs > 0 && init.renewBeforeMs < lifetime ? init.renewBeforeMs : lifetime / 3
    return chain.notAfter - before
  }

  function covers (m: Managed): boolean {
    const names = m.store.current()?.names
    return names !== undefined && m.spec.names.every(n => names.includes(n))
  }

  function dueAt (m: Managed): number {
    let at = covers(m) ? renewAt(m) ?? 0 : 0
    if (m.backoff !== undefined) at = Math.max(at, m.backoff.nextAttemptAt)
    return at
  }

  async function renewalInfo (): Promise<string | undefined> {
    if (directory === undefined || now() - directory.fetchedAt > DIRECTORY_TTL_MS) {
      directory = { base: await renewalInfoBase(init.directoryUrl, agent), fetchedAt: now() }
    }
    return directory.base
  }

  /** Asks the CA (ARI) when to renew, when it offers that and it is time to ask again. */
  async function checkAri (m: Managed): Promise<void> {
    const chain = m.store.current()
    if (chain === undefined || ariNextCheck(m) > now()) return
    try {
      const base = await renewalInfo()
      if (base === undefined) return
      const window = await fetchRenewalInfo(base, certIdOf(chain.leaf.raw), agent, now())
      m.ari = { renewAt: pickInWindow(window), nextCheckAt: window.nextCheckAt }
      m.ariRetryAt = undefined
      init.state.set(keys.ari(m.spec.id), JSON.stringify(m.ari))
      logger.info({ cert: m.spec.id, renewAt: new Date(m.ari.renewAt).toISOString() }, 'acme renewal information')
    } catch (err) {
      // Without an answer the lifetime rule applies; ask again later.
      logger.warn({ cert: m.spec.id, err }, 'acme renewal information unavailable')
      m.ariRetryAt = now() + ARI_ERROR_RETRY_MS
    }
  }

  /** Next ARI question: per the CA's Retry-After, or after a failed question, or now when never asked. */
  function ariNextCheck (m: Managed): number {
    return Math.max(m.ari?.nextCheckAt ?? 0, m.ariRetryAt ?? 0)
  }

  async function issue (m: Managed): Promise<void> {
    const id = m.spec.id
    try {
      const old = m.store.current()
      // A fresh directory read first: a CA that is down fails here with a clear network error.
      directory = undefined
      const replaces = (await renewalInfo()) !== undefined && old !== undefined ? certIdOf(old.leaf.raw) : undefined
      const client = await connect({ directoryUrl: init.directoryUrl, state: init.state, email: init.email, agent })
      const chainPem = await runOrder({
        client, spec: m.spec, state: init.state, dns01: init.dns01, http01: init.http01, waitDns: init.waitDns,
        replaces, logger, signal: stopping.signal, now
      })
      const parsed = parseChain(id, chainPem, init.state.get(keys.key(id))!, m.spec.names)
      init.state.set(keys.chain(id), chainPem)
      init.state.delete(keys.order(id))
      init.state.delete(keys.backoff(id))
      init.state.delete(keys.ari(id))
      m.store.swap(parsed)
      m.backoff = undefined
      m.lastError = undefined
      m.ari = undefined
      m.ariRetryAt = undefined
      m.lastIssuedAt = now()
      updateWarnings(m)
      logger.info({ cert: id, notAfter: new Date(parsed.notAfter).toISOString() }, 'acme certificate issued')
      events.emit('issued', id)
    } catch (err) {
      if (stopping.signal.aborted) return
      m.lastError = (err as Error).message
      m.backoff = nextBackoff((m.backoff?.failures ?? 0) + 1, now())
      init.state.set(keys.backoff(id), JSON.stringify({ ...m.backoff, lastError: m.lastError }))
      updateWarnings(m)
      logger.warn({ cert: id, err, failures: m.backoff.failures, nextAttemptAt: new Date(m.backoff.nextAttemptAt).toISOString() }, 'acme order failed')
    }
  }

  async function run (m: Managed): Promise<void> {
    if (m.running !== undefined) return await m.running
    m.running = (async () => {
      try {
        await checkAri(m)
        if (!stopping.signal.aborted && now() >= dueAt(m)) await issue(m)
      } finally {
        m.running = undefined
        schedule(m)
      }
    })()
    return await m.running
  }

  function schedule (m: Managed): void {
    clearTimeout(m.timer)
    if (stopping.signal.aborted) return
    let at = dueAt(m)
    // With ARI, wake for the CA's advice too: it can move the renewal earlier (a revocation).
    if (m.store.current() !== undefined && directory?.base !== undefined) at = Math.min(at, ariNextCheck(m))
    if (m.lastIssuedAt !== undefined) at = Math.max(at, m.lastIssuedAt + MIN_REISSUE_GAP_MS)
    // Timers longer than 2^31 ms fire at once; a far renewal wakes early, finds nothing due and re-arms.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - now()))
    m.timer = setTimeout(() => {
      run(m).catch(err => { logger.error({ cert: m.spec.id, err }, 'acme run failed') })
    }, delay)
    m.timer.unref()
  }

  function updateWarnings (m: Managed): void {
    m.store.setWarnings(m.lastError !== undefined ? [`certificate ${m.spec.id}: last order failed: ${m.lastError}`] : [])
  }

  function get (id: string): Managed {
    const m = certs.get(id)
    if (m === undefined) throw new ACME_ERR_UNKNOWN_CERT(id)
    return m
  }

  return {
    certStore: (id): CertStore => get(id).store,
    async ensure () {
      await Promise.all([...certs.values()].map(run))
    },
    status (): CertificateStatus[] {
      return [...certs.values()].map(m => {
        const chain = m.store.current()
        const at = renewAt(m)
        return {
          id: m.spec.id,
          names: [...m.spec.names],
          ...(chain !== undefined ? { notAfter: iso(chain.notAfter) } : {}),
          ...(at !== undefined ? { renewAt: iso(at) } : {}),
          ...(m.lastError !== undefined ? { lastError: m.lastError } : {}),
          ...(m.backoff !== undefined ? { nextAttemptAt: iso(m.backoff.nextAttemptAt) } : {})
        }
      })
    },
    on (event, fn) { events.on(event, fn) },
    stop () {
      stopping.abort()
      for (const m of certs.values()) clearTimeout(m.timer)
      agent?.destroy()
    }
  }
}

function iso (ms: number): string {
  return new Date(ms).toISOString()
}

function checkSpec (spec: CertificateSpec): void {
  if (!ID.test(spec.id)) throw new ACME_ERR_BAD_SPEC(JSON.stringify(spec.id), 'id must match [a-z0-9][a-z0-9_-]{0,62}')
  if (spec.names.length === 0 || spec.names.length > 100) throw new ACME_ERR_BAD_SPEC(spec.id, 'needs 1 to 100 names')
  if (spec.challenge !== 'dns-01' && spec.challenge !== 'http-01') throw new ACME_ERR_BAD_SPEC(spec.id, `unknown challenge ${String(spec.challenge)}`)
  for (const name of spec.names) {
    const lower = name.toLowerCase()
    if (lower.length > 253 || !NAME.test(lower)) throw new ACME_ERR_BAD_SPEC(spec.id, `bad name ${JSON.stringify(name)}`)
    // RFC 8555 §7.1.3: CAs validate wildcard names by dns-01 only.
    if (lower.startsWith('*.') && spec.challenge !== 'dns-01') throw new ACME_ERR_BAD_SPEC(spec.id, `${name} needs dns-01`)
  }
}
