// dns-01 through the SN: the zone's ACME manager publishes `_acme-challenge` TXT values with its
// device token (the SN accepts them only inside this zone), then waits until the SN's own DNS
// serves the value before the CA is told to look.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Dns01Solver } from '../acme/types.ts'
import type { SnClient } from './sn-client.ts'
import { queryTxt, type DnsProtocol, type DnsServerAddress } from './txt-query.ts'
import { ZONE_ERR_DNS_TIMEOUT } from './errors.ts'

export function snDns01Solver (client: Pick<SnClient, 'putTxt' | 'deleteTxt'>): Dns01Solver {
  return {
    publish: (fqdn, value) => client.putTxt(fqdn, value),
    remove: (fqdn, value) => client.deleteTxt(fqdn, value)
  }
}

export interface SnWaitDnsOptions {
  protocol?: DnsProtocol
  /** Give up after this long (default 60 s). */
  timeoutMs?: number
  /** Time between queries (default 250 ms). */
  pollMs?: number
  /** Deadline of one query (default 2 s, at most what is left of timeoutMs). */
  queryTimeoutMs?: number
}

export type WaitDns = (fqdn: string, value: string, signal: AbortSignal) => Promise<void>

/** The `waitDns` of createAcmeManager: resolves once `dnsServer` serves TXT `fqdn` = `value`. */
export function snWaitDns (dnsServer: DnsServerAddress, options: SnWaitDnsOptions = {}): WaitDns {
  const timeoutMs = options.timeoutMs ?? 60_000
  const pollMs = options.pollMs ?? 250
  const queryTimeoutMs = options.queryTimeoutMs ?? 2000
  return async (fqdn, value, signal) => {
    const deadline = Date.now() + timeoutMs
    // What the server last answered says most; a query error only shows when it never answered.
    let answered: string | undefined
    let failed = 'no answer yet'
    for (;;) {
      signal?.throwIfAborted()
      const left = deadline - Date.now()
      if (left <= 0) throw new ZONE_ERR_DNS_TIMEOUT(fqdn, value, timeoutMs, answered ?? failed)
      try {
        const values = await queryTxt(dnsServer, fqdn, { protocol: options.protocol, timeoutMs: Math.max(1, Math.min(queryTimeoutMs, left)) })
        if (values.includes(value)) return
        answered = values.length === 0 ? 'no TXT record' : `other values: ${values.slice(0, 3).map(v => JSON.stringify(v)).join(', ')}`
      } catch (err) {
        // A lost datagram or a restarting server: keep asking until the deadline.
        failed = (err as Error).message
      }
      const wait = Math.min(pollMs, deadline - Date.now())
      if (wait > 0) await sleep(wait, undefined, { signal })
    }
  }
}
