// acme-client set up for one manager: the persisted account key, our own HTTPS trust (caBundle)
// for this client only, and short polling. acme-client sends every request through its shared
// axios instance; its per-client hook is HttpClient.request, so the https Agent is added there
// rather than in process-wide settings (NODE_EXTRA_CA_CERTS, axios defaults) that would leak
// into every other HTTPS client in the gateway.
import { Client } from 'acme-client'
import { generateKeyPairSync } from 'node:crypto'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { AcmeStateStore } from './types.ts'
import { ACME_ERR_HTTP } from './errors.ts'

const MAX_BODY = 256 * 1024
const RETRY_DISABLED = 1_000_000

export interface AcmeConnection {
  client: Client
  agent: HttpsAgent | undefined
}

/** The account key, made once (EC P-256) and kept in the state store. */
export function accountKey (state: AcmeStateStore): string {
  const existing = state.get('account/key')
  if (existing !== undefined) return existing
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  state.set('account/key', pem)
  return pem
}

/**
 * A client with a registered account. newAccount with a known key answers the existing account,
 * so registering on every run also recovers from a CA that forgot us (a reset test CA).
 */
export async function connect (init: { directoryUrl: string, caBundle?: string, state: AcmeStateStore, email?: string, agent?: HttpsAgent }): Promise<Client> {
  const client = new Client({
    directoryUrl: init.directoryUrl,
    accountKey: accountKey(init.state),
    // Polls of pending authorizations and orders: acme-client's default starts at 5 s.
    backoffMin: 250,
    backoffMax: 5000,
    backoffAttempts: 30
  })
  const http = (client as unknown as { http: { request: (url: string, method: string, opts?: Record<string, unknown>) => Promise<unknown> } }).http
  const request = http.request.bind(http)
  http.request = async (url, method, opts = {}) => {
    try {
      return await request(url, method, {
        ...opts,
        ...(init.agent !== undefined ? { httpsAgent: init.agent } : {}),
        // acme-client's axios retries network errors and 5xx up to 5 times, 5 to 25 s apart (75 s
        // per request against a CA that is down). A request that starts past its attempt budget
        // is not retried: the manager's own backoff (1 min → 6 h) handles failures instead.
        retryAttempt: RETRY_DISABLED
      })
    } catch (err) {
      // acme-client 5.4 loses a network error once retries are exhausted (it reads `.config` of
      // a missing response): name the request instead of surfacing that TypeError.
      if (err instanceof TypeError) throw new ACME_ERR_HTTP(`${method.toUpperCase()} ${url}`, 'no answer (network error)', { cause: err })
      throw err
    }
  }
  // Through the inner API: acme-client's createAccount() follows an "account exists" (HTTP 200)
  // with an update carrying the same payload, which a CA refuses as an empty update when there is
  // no contact to change.
  const contact = init.email !== undefined ? { contact: [`mailto:${init.email}`] } : {}
  const api = (client as unknown as { api: { createAccount: (data: object) => Promise<{ status: number }> } }).api
  const answer = await api.createAccount({ termsOfServiceAgreed: true, ...contact })
  if (answer.status === 200 && init.email !== undefined) await client.updateAccount(contact)
  const url = client.getAccountUrl()
  if (init.state.get('account/url') !== url) init.state.set('account/url', url)
  return client
}

export function httpsAgent (caBundle: string | undefined): HttpsAgent | undefined {
  return caBundle === undefined ? undefined : new HttpsAgent({ ca: caBundle })
}

export interface HttpAnswer { status: number, headers: IncomingHttpHeaders, body: string }

/** A plain GET (the directory, renewalInfo), with the same trust as the ACME client. */
export async function httpGet (url: string, agent: HttpsAgent | undefined, timeoutMs = 15_000): Promise<HttpAnswer> {
  const isHttps = url.startsWith('https:')
  return await new Promise((resolve, reject) => {
    const options = { method: 'GET', timeout: timeoutMs, ...(isHttps && agent !== undefined ? { agent } : {}) }
    const req = (isHttps ? httpsRequest : httpRequest)(url, options, res => {
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (c: Buffer) => {
        size += c.length
        if (size > MAX_BODY) { req.destroy(new ACME_ERR_HTTP(url, `answer over ${MAX_BODY} bytes`)); return }
        chunks.push(c)
      })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }) })
      res.on('error', err => { reject(new ACME_ERR_HTTP(url, err.message, { cause: err })) })
    })
    req.on('timeout', () => req.destroy(new ACME_ERR_HTTP(url, 'timed out')))
    req.on('error', err => { reject(err instanceof Error && 'code' in err && String(err.code).startsWith('ACME_') ? err : new ACME_ERR_HTTP(url, err.message, { cause: err })) })
    req.end()
  })
}
