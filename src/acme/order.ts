// One order for one certificate, start to finish: resume the persisted order when it is still
// usable (a restart mid-order), else create one; answer the challenges through the solvers;
// finalize with a CSR for the manager's own key; download the chain. The caller persists the
// result and handles failures (backoff).
import { crypto as acmeCrypto, type Client, type Order } from 'acme-client'
import { generateKeyPairSync } from 'node:crypto'
import type { Logger } from '../core/logger.ts'
import type { AcmeStateStore, CertificateSpec, Dns01Solver, Http01Solver } from './types.ts'
import { ACME_ERR_ABORTED, ACME_ERR_CHALLENGE_FAILED, ACME_ERR_NO_SOLVER, ACME_ERR_ORDER_FAILED } from './errors.ts'

type Authorization = Awaited<ReturnType<Client['getAuthorizations']>>[number]
type Challenge = Authorization['challenges'][number]

export interface OrderRun {
  client: Client
  spec: CertificateSpec
  state: AcmeStateStore
  dns01?: Dns01Solver
  http01?: Http01Solver
  waitDns?: (fqdn: string, value: string, signal: AbortSignal) => Promise<void>
  /** ARI certID of the certificate this order replaces (RFC 9773 §5). */
  replaces?: string
  logger: Logger
  signal: AbortSignal
  now: () => number
}

export interface PersistedOrder { url: string, startedAt: number, names: string[] }

const DNS_WAIT_MS = 120_000

export const keys = {
  key: (id: string) => `cert/${id}/key`,
  chain: (id: string) => `cert/${id}/chain`,
  order: (id: string) => `cert/${id}/order`,
  backoff: (id: string) => `cert/${id}/backoff`,
  ari: (id: string) => `cert/${id}/ari`
}

/** The certificate's private key: made here once, kept in the state store, never sent. */
export function certificateKey (state: AcmeStateStore, id: string): string {
  const existing = state.get(keys.key(id))
  if (existing !== undefined) return existing
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  state.set(keys.key(id), pem)
  return pem
}

/** Runs the order; resolves with the PEM chain (leaf first). */
export async function runOrder (run: OrderRun): Promise<string> {
  const { client, spec, state, logger } = run
  const keyPem = certificateKey(state, spec.id)
  let order = await resumable(run)
  if (order === undefined) {
    order = await createOrder(run)
    const persisted: PersistedOrder = { url: order.url, startedAt: run.now(), names: spec.names }
    state.set(keys.order(spec.id), JSON.stringify(persisted))
    logger.info({ cert: spec.id, order: order.url, replaces: run.replaces }, 'acme order created')
  } else {
    logger.info({ cert: spec.id, order: order.url, status: order.status }, 'acme order resumed')
  }
  if (order.status === 'pending') await solve(run, order)
  checkAborted(run)
  const url = order.url
  // acme-client's polls answer the bare resource: put the URL back for the next calls.
  order = { ...await client.waitForValidStatus(order), url } // "ready" or "valid"
  if (order.status === 'ready') {
    const commonName = spec.names.find(n => n.length <= 64)
    const [, csr] = await acmeCrypto.createCsr({ ...(commonName !== undefined ? { commonName } : {}), altNames: spec.names }, keyPem)
    order = { ...await client.finalizeOrder(order, csr), url }
  }
  if (order.status === 'invalid') throw new ACME_ERR_ORDER_FAILED(spec.id, JSON.stringify(order.error ?? 'invalid'))
  return await client.getCertificate(order)
}

/** The persisted order, when the CA still has it in a state we can continue from, for the same names. */
async function resumable (run: OrderRun): Promise<Order | undefined> {
  const text = run.state.get(keys.order(run.spec.id))
  if (text === undefined) return undefined
  let saved: PersistedOrder
  try {
    saved = JSON.parse(text) as PersistedOrder
  } catch {
    return undefined
  }
  if (typeof saved.url !== 'string' || !sameNames(saved.names, run.spec.names)) return undefined
  try {
    const order = await run.client.getOrder({ url: saved.url } as Order)
    if (order.status === 'invalid') return undefined
    if (order.expires !== undefined && Date.parse(order.expires) <= Date.now()) return undefined
    return order
  } catch (err) {
    run.logger.info({ cert: run.spec.id, order: saved.url, err }, 'acme persisted order unusable; starting a new one')
    return undefined
  }
}

async function createOrder (run: OrderRun): Promise<Order> {
  const identifiers = run.spec.names.map(value => ({ type: 'dns', value }))
  if (run.replaces !== undefined) {
    try {
      return await run.client.createOrder({ identifiers, replaces: run.replaces } as Parameters<Client['createOrder']>[0])
    } catch (err) {
      // A CA may refuse `replaces` (already replaced, unknown certificate): renew without it.
      run.logger.warn({ cert: run.spec.id, err }, 'acme order with replaces refused; ordering without')
    }
  }
  return await run.client.createOrder({ identifiers })
}

interface Pending { authz: Authorization, challenge: Challenge, keyAuthorization: string, fqdn: string }

/** Publishes every answer first, then asks the CA to validate all: a.test and *.a.test share one TXT name. */
async function solve (run: OrderRun, order: Order): Promise<void> {
  const { client, spec } = run
  const type = spec.challenge
  if (type === 'dns-01' && run.dns01 === undefined) throw new ACME_ERR_NO_SOLVER(spec.id, type)
  if (type === 'http-01' && run.http01 === undefined) throw new ACME_ERR_NO_SOLVER(spec.id, type)
  const authzs = await client.getAuthorizations(order)
  const cleanups: Array<() => Promise<void>> = []
  try {
    const pending: Pending[] = []
    for (const authz of authzs) {
      const name = `${authz.wildcard === true ? '*.' : ''}${authz.identifier.value}`
      if (authz.status === 'valid') continue
      if (authz.status !== 'pending') throw new ACME_ERR_CHALLENGE_FAILED(type, name, `authorization is ${authz.status}`)
      const challenge = authz.challenges.find(c => c.type === type)
      if (challenge === undefined) throw new ACME_ERR_CHALLENGE_FAILED(type, name, 'the CA does not offer it')
      const keyAuthorization = await client.getChallengeKeyAuthorization(challenge)
      const fqdn = `_acme-challenge.${authz.identifier.value}`
      if (type === 'dns-01') {
        await run.dns01!.publish(fqdn, keyAuthorization)
        cleanups.push(async () => { await run.dns01!.remove(fqdn, keyAuthorization) })
      } else {
        const token = (challenge as { token: string }).token
        await run.http01!.publish(token, keyAuthorization)
        cleanups.push(async () => { await run.http01!.remove(token) })
      }
      pending.push({ authz, challenge, keyAuthorization, fqdn })
    }
    checkAborted(run)
    if (type === 'dns-01' && run.waitDns !== undefined) {
      const signal = AbortSignal.any([run.signal, AbortSignal.timeout(DNS_WAIT_MS)])
      await Promise.all(pending.map(async p => { await run.waitDns!(p.fqdn, p.keyAuthorization, signal) }))
    }
    checkAborted(run)
    for (const p of pending) await client.completeChallenge(p.challenge)
    await Promise.all(pending.map(async p => {
      try {
        await client.waitForValidStatus(p.challenge)
      } catch (err) {
        throw new ACME_ERR_CHALLENGE_FAILED(type, p.authz.identifier.value, (err as Error).message, { cause: err })
      }
    }))
  } finally {
    const results = await Promise.allSettled(cleanups.map(async f => { await f() }))
    for (const r of results) {
      if (r.status === 'rejected') run.logger.warn({ cert: spec.id, err: r.reason }, 'acme challenge cleanup failed')
    }
  }
}

function checkAborted (run: OrderRun): void {
  if (run.signal.aborted) throw new ACME_ERR_ABORTED(`order for ${run.spec.id}`)
}

function sameNames (a: unknown, b: readonly string[]): boolean {
  if (!Array.isArray(a) || a.length !== b.length) return false
  const set = new Set(b.map(n => n.toLowerCase()))
  return a.every(n => typeof n === 'string' && set.has(n.toLowerCase()))
}
