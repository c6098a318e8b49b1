// What a gateway adds to itself when it belongs to a zone served by an SN (`sn:`) and/or keeps
// ACME certificates (`acme:`): address reports to the SN on an interval with this device's token,
// and certificates whose dns-01 challenges the SN publishes inside this zone only. The
// certificates' private keys are made and kept here; the SN only ever sees TXT values.
import { readFile } from 'node:fs/promises'
import type { Logger } from '../core/logger.ts'
import type { GatewayConfig } from '../config/types.ts'
import { parseHostPort } from '../config/host-port.ts'
import type { DeviceKey } from '../identity/key-file.ts'
import { fileStateStore, type AcmeManager } from '../acme/index.ts'
import { acmeFromConfig, startIssuing } from '../acme/from-config.ts'
import { createSnClient, type SnClient } from '../zone/sn-client.ts'
import { startDdnsReporter, type DdnsReporter } from '../zone/ddns.ts'
import { snDns01Solver, snWaitDns } from '../zone/dns01.ts'
import type { ProcessExtensions } from './run.ts'

export interface ZoneLink {
  extensions: ProcessExtensions
  /** Start reporting and issuing; called once the stacks listen. */
  start(): void
}

function hostPort (text: string, what: string): { host: string, port: number } {
  const hp = parseHostPort(text, 'dial')
  if (typeof hp === 'string') throw new TypeError(`${what} ${text}: ${hp}`)
  return hp
}

export async function createZoneLink (config: GatewayConfig, key: DeviceKey, logger: Logger): Promise<ZoneLink> {
  const link = config.sn
  let client: SnClient | undefined
  let ddns: DdnsReporter | undefined
  if (link != null) {
    client = createSnClient({
      url: link.url,
      audience: link.domain,
      zone: link.zone,
      device: key,
      ...(link.caFile != null ? { ca: await readFile(link.caFile, 'utf8') } : {}),
      ...(link.connect != null ? { connectTo: hostPort(link.connect, 'sn.connect') } : {})
    })
  }
  let acme: AcmeManager | undefined
  if (config.acme != null) {
    // dns-01 without an SN is refused by the config check, and by the manager (ACME_ERR_NO_SOLVER).
    acme = await acmeFromConfig(config.acme, {
      state: fileStateStore(config.acme.stateDir ?? `${config.file}.acme`),
      ...(client != null ? { dns01: snDns01Solver(client) } : {}),
      ...(link?.dns != null ? { waitDns: snWaitDns(hostPort(link.dns, 'sn.dns')) } : {}),
      logger
    })
  }
  const extensions: ProcessExtensions = {
    ...(acme != null ? { chainDeps: { certs: (id: string) => acme.certStore(id) } } : {}),
    status: () => ({
      ...(link != null ? { zone: { name: link.zone, sn: link.url, lastReport: ddns?.last } } : {}),
      ...(acme != null ? { certificates: acme.status() } : {})
    }),
    stop: async () => {
      ddns?.stop()
      acme?.stop()
    }
  }
  return {
    extensions,
    start () {
      if (link != null && client != null) {
        ddns = startDdnsReporter({
          client,
          intervalMs: link.reportIntervalMs,
          direct: link.direct,
          ...(link.addrs != null ? { addrs: () => link.addrs! } : {}),
          logger
        })
      }
      if (acme != null) startIssuing(acme, logger)
    }
  }
}
