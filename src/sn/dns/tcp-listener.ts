// DNS over TCP (RFC 7766): 2-byte length-prefixed messages, pipelined, answered in order. Bounded:
// at most maxConnections open (more are closed at once), an idle connection closes after
// idleTimeoutMs, a frame longer than maxMessageBytes closes the connection before it is buffered,
// and a client that does not read its replies stops being read once maxPendingWriteBytes queue up.
import net from 'node:net'
import { once } from 'node:events'
import type { Logger } from '../../core/logger.ts'
import type { Responder, DnsStats } from './responder.ts'
import { formatHostPort, type HostPort } from './listen-address.ts'
import type { DnsListener } from './udp-listener.ts'

export interface TcpLimits {
  idleTimeoutMs: number
  maxConnections: number
  maxMessageBytes: number
  maxPendingWriteBytes: number
}

function serve (socket: net.Socket, respond: Responder, limits: TcpLimits, stats: DnsStats, logger: Logger): void {
  socket.setNoDelay(true)
  socket.setTimeout(limits.idleTimeoutMs, () => { stats.tcpIdleClosed++; socket.destroy() })
  socket.on('error', (err) => { logger.debug({ err }, 'DNS TCP connection error') })
  socket.on('drain', () => socket.resume())
  let chunks: Buffer[] = []
  let have = 0
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    have += chunk.length
    while (have >= 2) {
      if (chunks[0].length < 2) chunks = [Buffer.concat(chunks, have)]
      const len = chunks[0].readUInt16BE(0)
      if (len > limits.maxMessageBytes) {
        stats.tcpOversize++
        socket.destroy()
        return
      }
      if (have < 2 + len) return
      const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, have)
      const msg = all.subarray(2, 2 + len)
      const rest = all.subarray(2 + len)
      chunks = rest.length > 0 ? [rest] : []
      have = rest.length
      let reply: Buffer | undefined
      try {
        reply = respond(msg, 'tcp')
      } catch (err) {
        logger.error({ err }, 'DNS responder failed')
        socket.destroy()
        return
      }
      if (reply == null) continue
      const prefix = Buffer.allocUnsafe(2)
      prefix.writeUInt16BE(reply.length, 0)
      socket.write(Buffer.concat([prefix, reply]))
    }
    if (socket.writableLength > limits.maxPendingWriteBytes) socket.pause()
  })
  // Half-close from the client: every complete query has been answered (synchronously) above.
  socket.on('end', () => { socket.end() })
}

export async function listenTcp (at: HostPort, respond: Responder, limits: TcpLimits, stats: DnsStats, logger: Logger): Promise<DnsListener> {
  const open = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    if (open.size >= limits.maxConnections) {
      stats.tcpRejected++
      socket.destroy()
      return
    }
    open.add(socket)
    stats.tcpOpen++
    socket.on('close', () => { open.delete(socket); stats.tcpOpen-- })
    serve(socket, respond, limits, stats, logger)
  })
  server.listen(at.port, at.host)
  await once(server, 'listening') // rejects on a bind error (EADDRINUSE keeps its code)
  server.on('error', (err) => { logger.warn({ err }, 'DNS TCP server error') })
  const { address, port } = server.address() as net.AddressInfo
  const hostPort = formatHostPort(address, port)
  logger.info({ url: `dns+tcp://${hostPort}` }, 'listening')
  let closed: Promise<void> | undefined
  return {
    address: hostPort,
    close: async () => {
      closed ??= new Promise<void>(resolve => {
        server.close(() => resolve())
        for (const s of open) s.destroy()
      })
      await closed
    }
  }
}
