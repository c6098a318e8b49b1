// Polls one DNS server (explicit host and port: never the system or public resolvers) until a TXT
// record at `fqdn` carries `value`. Used before telling the CA to validate a dns-01 challenge, so
// the CA does not look before the record is served.
import { UDPClient } from 'dns2'
import { setTimeout as sleep } from 'node:timers/promises'
import { ACME_ERR_ABORTED, ACME_ERR_TXT_TIMEOUT } from './errors.ts'

const POLL_MS = 200

export async function waitForTxt (server: { host: string, port: number }, fqdn: string, value: string, options: { timeoutMs: number, signal?: AbortSignal }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  const resolve = UDPClient({ dns: server.host, port: server.port, timeout: Math.min(2000, options.timeoutMs) })
  for (;;) {
    if (options.signal?.aborted === true) throw new ACME_ERR_ABORTED(`waiting for TXT ${fqdn}`)
    try {
      const answer = await resolve(fqdn, 'TXT', undefined, { recursive: false })
      if (answer.answers.some(a => txtOf(a) === value)) return
    } catch {
      // A lost datagram or a server restart: keep polling until the deadline.
    }
    const left = deadline - Date.now()
    if (left <= 0) throw new ACME_ERR_TXT_TIMEOUT(fqdn, `${server.host}:${server.port}`, options.timeoutMs)
    try {
      await sleep(Math.min(POLL_MS, left), undefined, { signal: options.signal })
    } catch {
      throw new ACME_ERR_ABORTED(`waiting for TXT ${fqdn}`)
    }
  }
}

/** dns2 decodes TXT RDATA as an array of character-strings; a value may be split across several. */
function txtOf (answer: unknown): string | undefined {
  const a = answer as { type?: number, data?: unknown }
  if (a.type !== 16) return undefined
  if (Array.isArray(a.data)) return a.data.join('')
  return typeof a.data === 'string' ? a.data : undefined
}
