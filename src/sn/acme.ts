// The SN's own certificates: the ACME manager with the SN's store for its state, dns-01 answered
// by its own DNS (TXT records it sets on itself) and http-01 answered by its API on the port 80
// route. Issuance starts once the stacks listen, so an http-01 validation finds port 80 up.
import type { Logger } from '../core/logger.ts'
import type { AcmeConfig } from '../config/types.ts'
import type { AcmeManager } from '../acme/index.ts'
import { acmeFromConfig, startIssuing } from '../acme/from-config.ts'
import { snWaitDns } from '../zone/dns01.ts'
import { parseHostPort } from '../config/host-port.ts'
import type { DnsServer } from './dns/index.ts'
import type { SnRegistry } from './registry/types.ts'

export interface SnAcme {
  manager: AcmeManager
  start(): void
  stop(): void
}

export async function startSnAcme (acme: AcmeConfig, { registry, dns, logger }: { registry: SnRegistry, dns?: DnsServer, logger: Logger }): Promise<SnAcme> {
  const ownDns = dns?.addresses.udp[0]
  const hp = ownDns != null ? parseHostPort(ownDns, 'dial') : undefined
  const manager = await acmeFromConfig(acme, {
    state: registry.acmeState(),
    dns01: {
      publish: async (fqdn, value) => { registry.setOwnTxt(fqdn, value) },
      remove: async (fqdn, value) => { registry.removeOwnTxt(fqdn, value) }
    },
    http01: {
      publish: async (token, keyAuth) => { registry.setHttpChallenge(token, keyAuth) },
      remove: async (token) => { registry.removeHttpChallenge(token) }
    },
    ...(hp != null && typeof hp !== 'string' ? { waitDns: snWaitDns(hp, { timeoutMs: 10_000 }) } : {}),
    logger
  })
  return {
    manager,
    start () {
      startIssuing(manager, logger)
    },
    stop () { manager.stop() }
  }
}
