// A running SN (super node). Without an `sn:` section it is a plain relay for the devices its
// trust list names. With one it is the whole public side of its zones:
//   - the registry (node:sqlite): zones, devices, address reports, TXT records, invitations;
//   - rtcp: admits the registered devices of active zones, relays between them;
//   - authoritative DNS for its domain and the zones' bound domains;
//   - the registration/DDNS API, an in-process HTTP server reached as internal://api from the
//     chains (so it sits behind the same TLS termination and access log as everything else);
//   - ACME for its own names (dns-01 through its own DNS, or http-01 on its port 80 route);
//   - the public ingress: chains whose `zone` routes send a connection through the tunnel of the
//     zone its SNI or Host names.
// The common process (stacks, chains, control API, reload) is the gateway's, with extensions.
import type { IncomingMessage } from 'node:http'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Logger } from '../core/logger.ts'
import type { SnConfig } from '../config/types.ts'
import { runGateway, type ProcessExtensions, type RunningGateway } from '../gateway/run.ts'
import { serveInternalHttp } from '../gateway/internal-http.ts'
import { internalTunnel } from '../tunnel/internal/index.ts'
import type { RtcpService } from '../rtcp/service.ts'
import { openSnRegistry } from './registry/registry.ts'
import { snAuthority } from './records.ts'
import { createSnApi } from './api/handler.ts'
import { startDnsServer, type DnsServer } from './dns/index.ts'
import { snAdmin } from './admin.ts'
import { zoneResolver } from './ingress.ts'
import { startSnAcme } from './acme.ts'
import { dnsTxtResolver } from './resolve-txt.ts'
import { zoneAdmission } from './admission.ts'

export async function runSn (config: SnConfig, { logger }: { logger: Logger }): Promise<RunningGateway> {
  const sn = config.sn
  if (sn == null) return await runGateway(config, { logger })
  const log = logger.child({ mod: 'sn' })
  // The store holds ACME account and certificate keys: its directory is the SN's alone.
  await mkdir(dirname(sn.storeFile), { recursive: true, mode: 0o700 })
  const registry = openSnRegistry({
    file: sn.storeFile,
    domain: sn.domain,
    registrationOpen: sn.registrationOpen,
    reportTtlMs: sn.reportTtlMs,
    maxZonesPerOwner: sn.limits.zonesPerOwner,
    maxDevicesPerZone: sn.limits.devicesPerZone,
    maxTxtPerZone: sn.limits.txtPerZone,
    maxDomainsPerZone: sn.limits.domainsPerZone,
    reservedLabels: Object.keys(sn.names).filter(n => n.endsWith(`.${sn.domain}`)).map(n => n.slice(0, -sn.domain.length - 1)).filter(l => !l.includes('.'))
  })
  const cleanup: Array<() => Promise<void> | void> = [() => { registry.close() }]
  try {
    let dns: DnsServer | undefined
    const ttl = sn.dns?.ttlSeconds ?? 60
    const authority = snAuthority(registry, { domain: sn.domain, ns: sn.ns, ownNames: sn.names, relayAddrs: sn.publicAddrs, ttl, soa: { admin: sn.admin, refresh: 3600, retry: 600, expiration: 1_209_600, minimum: ttl } })
    if (sn.dns != null) {
      dns = await startDnsServer({ authority, udp: sn.dns.listen, tcp: sn.dns.listen, logger })
      const d = dns
      cleanup.push(async () => { await d.close() })
    }
    const acme = config.acme != null ? await startSnAcme(config.acme, { registry, dns, logger }) : undefined
    if (acme != null) cleanup.push(() => { acme.stop() })

    const internal = internalTunnel()
    const api = serveInternalHttp(internal, 'api', createSnApi(registry, {
      // Every API request reaches us through our own http_proxy (internal://api), which appends the
      // client's address to X-Forwarded-For: its last hop is the one we saw.
      clientAddress: (req: IncomingMessage) => lastForwardedFor(req) ?? req.socket.remoteAddress ?? '',
      resolveTxt: dnsTxtResolver(sn.resolver),
      authority,
      limits: sn.limits,
      logger: log
    }), { requestTimeoutMs: 30_000 })
    cleanup.push(() => { api.close() })

    let rtcp: RtcpService | undefined
    const extensions: ProcessExtensions = {
      tunnels: (r) => { r.register(internal.tunnel) },
      rtcp: (s) => {
        rtcp = s
        s.node.setAdmission(zoneAdmission(registry, sn.limits.tunnelsPerZonePerMinute))
      },
      chainDeps: {
        ...(acme != null ? { certs: (id: string) => acme.manager.certStore(id) } : {}),
        zones: zoneResolver(registry, () => rtcp)
      },
      status: () => ({
        sn: {
          domain: sn.domain,
          registrationOpen: registry.registrationOpen(),
          ...(dns != null ? { dns: dns.addresses } : {}),
          ...(acme != null ? { certificates: acme.manager.status() } : {})
        }
      }),
      admin: snAdmin(registry, async (dids) => {
        const node = rtcp?.node
        if (node == null) return
        for (const did of dids) {
          const peer = node.peers.resolve(did)
          if (node.existingConnection(peer) == null) continue
          log.warn({ did }, 'denied: closing its tunnel')
          await node.host.hangUp(peer.peerId).catch(() => {})
        }
      }),
      stop: async () => { for (const c of cleanup.reverse()) await c() }
    }
    const running = await runGateway(config, { logger, extensions })
    acme?.start()
    log.info({ domain: sn.domain, dns: dns?.addresses }, 'sn ready')
    return running
  } catch (err) {
    for (const c of cleanup.reverse()) await c()
    throw err
  }
}

function lastForwardedFor (req: IncomingMessage): string | undefined {
  const h = req.headers['x-forwarded-for']
  const text = Array.isArray(h) ? h.join(',') : h
  if (text == null || text === '') return undefined
  const hops = text.split(',')
  return hops[hops.length - 1].trim()
}
