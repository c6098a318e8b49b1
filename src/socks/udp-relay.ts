// The UDP side of a SOCKS5 UDP ASSOCIATE (RFC 1928 §7). One relay socket faces the client; one
// outbound socket per address family faces the targets, so a target's reply can never be taken
// for a client datagram (both may share the client's IP, e.g. on loopback). Accepted from the
// client: its control connection's IP, and the port it declared (or, if it declared 0, the first
// port it sends from). Accepted from targets: only addresses we have sent to. Fragments (FRAG≠0)
// and undecodable datagrams are dropped silently, as the RFC allows.
import dgram from 'node:dgram'
import { lookup } from 'node:dns/promises'
import { isIPv4, isIPv6 } from 'node:net'
import { once } from 'node:events'
import type { Logger } from '../core/logger.ts'
import type { SocksAddress } from './types.ts'
import { decodeUdpDatagram } from './decode.ts'
import { encodeUdpDatagram } from './encode.ts'
import { addressFromHostPort } from './address.ts'

export interface UdpRelayOptions {
  bindHost: string
  client: { address: string, port: number }
  /** true: forward this datagram (the engine's decide() said direct). */
  allow (target: SocksAddress): boolean
  idleTimeoutMs: number
  logger: Logger
}

export interface UdpRelay {
  /** The address the client sends to. */
  readonly bound: SocksAddress
  readonly bytesIn: number
  readonly bytesOut: number
  /** Resolves when the idle timer ends the association (or close() is called). */
  readonly idle: Promise<void>
  close (): void
}

/** ::ffff:1.2.3.4 → 1.2.3.4, so addresses compare equal whatever socket family saw them. */
export function plainIp (address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address
}

export async function startUdpRelay (options: UdpRelayOptions): Promise<UdpRelay> {
  const { logger: log } = options
  const bindHost = plainIp(options.bindHost)
  const clientIp = plainIp(options.client.address)
  let clientPort = options.client.port // 0 until learned
  const relay = dgram.createSocket(isIPv6(bindHost) ? 'udp6' : 'udp4')
  relay.on('error', (err) => log.debug({ err }, 'udp relay socket error'))
  relay.bind(0, bindHost)
  await once(relay, 'listening')
  const replyHost = relay.address().family === 'IPv6' ? options.client.address : clientIp
  const outbound = new Map<'udp4' | 'udp6', dgram.Socket>()
  const sentTo = new Set<string>()
  let bytesIn = 0
  let bytesOut = 0
  let closed = false
  let timer: NodeJS.Timeout | undefined
  let endIdle: () => void = () => {}
  const idle = new Promise<void>(resolve => { endIdle = resolve })
  const touch = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => { close(); endIdle() }, options.idleTimeoutMs)
  }
  const close = (): void => {
    if (closed) return
    closed = true
    clearTimeout(timer)
    relay.close()
    for (const s of outbound.values()) s.close()
    endIdle()
  }

  const socketFor = (family: 'udp4' | 'udp6'): dgram.Socket => {
    let s = outbound.get(family)
    if (s == null) {
      const sock = dgram.createSocket(family)
      s = sock
      sock.on('error', (err) => log.debug({ err }, 'udp outbound socket error'))
      sock.on('message', (data, rinfo) => {
        const ip = plainIp(rinfo.address)
        if (closed || clientPort === 0 || !sentTo.has(`${ip}|${rinfo.port}`)) return
        touch()
        bytesOut += data.length
        relay.send(encodeUdpDatagram({ frag: 0, target: addressFromHostPort(ip, rinfo.port), data }), clientPort, replyHost)
      })
      outbound.set(family, sock)
    }
    return s
  }

  const forward = async (target: SocksAddress, data: Buffer): Promise<void> => {
    let ip = target.host
    if (target.type === 'domain') ip = (await lookup(target.host)).address
    ip = plainIp(ip)
    if (closed) return
    sentTo.add(`${ip}|${target.port}`)
    bytesIn += data.length
    socketFor(isIPv6(ip) ? 'udp6' : 'udp4').send(data, target.port, ip)
  }

  relay.on('message', (msg, rinfo) => {
    if (closed || plainIp(rinfo.address) !== clientIp) return
    if (clientPort !== 0 && rinfo.port !== clientPort) return
    let d
    try {
      d = decodeUdpDatagram(msg)
    } catch {
      return
    }
    if (d.frag !== 0 || d.target.port === 0) return
    if (!options.allow(d.target)) return
    clientPort = rinfo.port
    touch()
    forward(d.target, Buffer.from(d.data)).catch((err: unknown) => log.debug({ err, target: d.target.host }, 'udp forward failed'))
  })

  touch()
  const addr = relay.address()
  return {
    bound: addressFromHostPort(plainIp(addr.address), addr.port),
    get bytesIn () { return bytesIn },
    get bytesOut () { return bytesOut },
    idle,
    close
  }
}
