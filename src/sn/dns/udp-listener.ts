// DNS over UDP: one datagram in, at most one datagram back to its sender. Our own socket rather
// than dns2's UDPServer: that one drops a malformed datagram without telling us who sent it (no
// FORMERR possible) and drops the OPT record from truncated replies.
import dgram from 'node:dgram'
import { once } from 'node:events'
import { isIP } from 'node:net'
import type { Logger } from '../../core/logger.ts'
import type { Responder } from './responder.ts'
import { formatHostPort, type HostPort } from './listen-address.ts'

export interface DnsListener { address: string, close (): Promise<void> }

export async function listenUdp (at: HostPort, respond: Responder, logger: Logger): Promise<DnsListener> {
  const socket = dgram.createSocket({ type: isIP(at.host) === 6 ? 'udp6' : 'udp4' })
  socket.on('message', (msg, rinfo) => {
    let reply: Buffer | undefined
    try {
      reply = respond(msg, 'udp')
    } catch (err) {
      // The responder catches what it expects; this is a bug, and must not take the SN down.
      logger.error({ err }, 'DNS responder failed')
      return
    }
    if (reply == null) return
    // A send error (the sender's port is gone, a full buffer) concerns that one reply only.
    socket.send(reply, rinfo.port, rinfo.address, (err) => { if (err != null) logger.debug({ err }, 'DNS reply not sent') })
  })
  const bound = once(socket, 'listening')
  socket.bind(at.port, at.host)
  await bound
  // A burst of queries beyond the default receive buffer (~200 KiB) is dropped by the kernel
  // before we see it; ask for more (Linux caps it at net.core.rmem_max).
  try { socket.setRecvBufferSize(4 * 1024 * 1024) } catch {}
  // After bind, errors are per-datagram (ICMP unreachable and such): log, keep serving.
  socket.on('error', (err) => { logger.warn({ err }, 'DNS UDP socket error') })
  const { address, port } = socket.address()
  const hostPort = formatHostPort(address, port)
  logger.info({ url: `dns+udp://${hostPort}` }, 'listening')
  let closed: Promise<void> | undefined
  return {
    address: hostPort,
    close: async () => {
      closed ??= new Promise<void>(resolve => socket.close(() => resolve()))
      await closed
    }
  }
}
