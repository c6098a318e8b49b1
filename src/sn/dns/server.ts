// The SN's authoritative DNS server: UDP and TCP listeners answering from a DnsAuthority.
import type { Logger } from '../../core/logger.ts'
import { createResponder, newStats, type DnsStats } from './responder.ts'
import { listenUdp, type DnsListener } from './udp-listener.ts'
import { listenTcp } from './tcp-listener.ts'
import { parseListenAddress, type HostPort } from './listen-address.ts'
import { hasCode } from '../../core/errors.ts'
import { DNS_ERR_NO_LISTENERS } from './errors.ts'
import { DEFAULT_MAX_UDP_PAYLOAD, CLASSIC_UDP_LIMIT, type DnsAuthority } from './types.ts'

export interface DnsServerInit {
  authority: DnsAuthority
  /** "host:port" ("[::1]:53" for IPv6); port 0 picks a free one. */
  udp?: string[]
  tcp?: string[]
  logger: Logger
  /** UDP payload size we advertise and cap UDP replies at (default 1232, at least 512). */
  maxUdpPayload?: number
  /** Longest query accepted, either transport (default 4096). */
  maxMessageBytes?: number
  /** An idle TCP connection closes after this (default 10 000 ms, RFC 7766 §6.2.3). */
  tcpIdleTimeoutMs?: number
  /** TCP connections open at once per listener; more are closed on accept (default 1024). */
  maxTcpConnections?: number
  /** Replies queued for a client that does not read, before its connection stops being read (default 256 KiB). */
  maxTcpPendingWriteBytes?: number
}

export interface DnsServer {
  /** Bound "host:port" of each listener, port 0 resolved. */
  addresses: { udp: string[], tcp: string[] }
  stats: DnsStats
  close (): Promise<void>
}

export async function startDnsServer (init: DnsServerInit): Promise<DnsServer> {
  const udp = (init.udp ?? []).map(parseListenAddress)
  const tcp = (init.tcp ?? []).map(parseListenAddress)
  if (udp.length + tcp.length === 0) throw new DNS_ERR_NO_LISTENERS()
  const logger = init.logger.child({ mod: 'sn.dns' })
  const stats = newStats()
  const maxMessageBytes = init.maxMessageBytes ?? 4096
  const respond = createResponder({
    authority: init.authority,
    logger,
    maxUdpPayload: Math.max(init.maxUdpPayload ?? DEFAULT_MAX_UDP_PAYLOAD, CLASSIC_UDP_LIMIT),
    maxMessageBytes,
    stats
  })
  const limits = {
    idleTimeoutMs: init.tcpIdleTimeoutMs ?? 10_000,
    maxConnections: init.maxTcpConnections ?? 1024,
    maxMessageBytes,
    maxPendingWriteBytes: init.maxTcpPendingWriteBytes ?? 256 * 1024
  }
  const started: { udp: DnsListener[], tcp: DnsListener[] } = { udp: [], tcp: [] }
  const closeAll = async (): Promise<void> => {
    await Promise.all([...started.udp, ...started.tcp].map(async l => await l.close()))
  }
  try {
    for (let i = 0; i < Math.max(udp.length, tcp.length); i++) {
      const u = udp[i]; const t = tcp[i]
      // A client retries a truncated UDP answer over TCP on the same port: when the i-th UDP and
      // TCP addresses are the same host with port 0, both get one port.
      if (u != null && t != null && u.host === t.host && u.port === 0 && t.port === 0) {
        const pair = await listenPair(t.host, async at => await listenTcp(at, respond, limits, stats, logger), async at => await listenUdp(at, respond, logger))
        started.tcp.push(pair[0]); started.udp.push(pair[1])
        continue
      }
      if (u != null) started.udp.push(await listenUdp(u, respond, logger))
      if (t != null) started.tcp.push(await listenTcp(t, respond, limits, stats, logger))
    }
  } catch (err) {
    await closeAll()
    throw err
  }
  // Listeners come in the order of their addresses.
  return {
    addresses: { udp: started.udp.map(l => l.address), tcp: started.tcp.map(l => l.address) },
    stats,
    close: closeAll
  }
}

/** Bind `first` on a free port, then `second` on the same port; retry when another process holds it. */
async function listenPair (host: string, first: (at: HostPort) => Promise<DnsListener>, second: (at: HostPort) => Promise<DnsListener>): Promise<[DnsListener, DnsListener]> {
  for (let attempt = 0; ; attempt++) {
    const a = await first({ host, port: 0 })
    const port = parseListenAddress(a.address).port
    try {
      return [a, await second({ host, port })]
    } catch (err) {
      await a.close()
      if (!hasCode(err, 'EADDRINUSE') || attempt >= 20) throw err
    }
  }
}
