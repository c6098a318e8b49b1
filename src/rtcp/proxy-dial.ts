// Dialing a peer through a SOCKS5 proxy (`rtcp.peers.<name>.proxy`), for a device whose network
// only lets traffic out through one: CONNECT to each of the peer's addresses in turn, then run
// Noise + yamux over the proxied socket. The proxy sees only ciphertext; Noise checks the key
// named by the address's /p2p/ part.
import type { Socket } from 'node:net'
import type { Connection } from '@libp2p/interface'
import type { Logger } from '../core/logger.ts'
import type { KnownPeer } from './peer-book.ts'
import type { UpgradeService } from './libp2p-host.ts'
import { SocketMultiaddrConnection } from './relay/socket-conn.ts'
import { socksTunnel } from '../socks/tunnel.ts'
import { RTCP_ERR_DIAL_FAILED } from './errors.ts'

/** A proxy URL for logs: the password never appears. */
export function redactUrl (text: string): string {
  return text.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
}

export async function dialViaProxy (upgrade: UpgradeService, peer: KnownPeer, proxy: string, signal: AbortSignal, logger: Logger): Promise<Connection> {
  const socks = socksTunnel({ logger })
  const errors: string[] = []
  for (const addr of peer.addrs) {
    const parts = addr.getComponents()
    const host = parts.find(c => ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(c.name))?.value ?? ''
    const port = parts.find(c => c.name === 'tcp')?.value ?? ''
    try {
      const target = `${host.includes(':') ? `[${host}]` : host}:${port}`
      const socket = await socks.open(new URL(`${proxy.replace(/\/$/, '')}/${target}`), { signal }) as unknown as Socket
      const maConn = new SocketMultiaddrConnection({
        socket,
        remoteAddr: addr,
        direction: 'outbound',
        log: upgrade.logger.forComponent('zonegate:socks:conn')
      })
      return await upgrade.upgrader.upgradeOutbound(maConn, { signal })
    } catch (err) {
      errors.push(`${host}:${port} via ${redactUrl(proxy)}: ${(err as Error).message}`)
      if (signal.aborted) break
    }
  }
  throw new RTCP_ERR_DIAL_FAILED(peer.name, errors.join('; '))
}
