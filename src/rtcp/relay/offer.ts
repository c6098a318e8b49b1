// The device side of a relay session: the offer a relay sends (a one-time token and its relay
// port), and connecting to that port with the token.
import net from 'node:net'
import type { Connection } from '@libp2p/interface'
import { parseHostPort } from '../../config/host-port.ts'
import { RTCP_ERR_BAD_HEADER } from '../errors.ts'

/** A relay's offer: the token for our half of the session and the relay port. */
export function parseOffer (text: string): { token: string, addr: string } {
  const o = JSON.parse(text) as { token?: unknown, addr?: unknown }
  if (typeof o.token !== 'string' || !/^[0-9a-f]{32}$/.test(o.token) || typeof o.addr !== 'string') {
    throw new RTCP_ERR_BAD_HEADER('malformed relay offer')
  }
  return { token: o.token, addr: o.addr }
}

/**
 * Connect to a relay port and present our token. A relay listening on a wildcard address is
 * reached at the address we already use for its tunnel.
 */
export async function connectRelayPort (addr: string, relayConn: Connection, token: string, signal: AbortSignal): Promise<net.Socket> {
  const hp = parseHostPort(addr, 'listen')
  if (typeof hp === 'string') throw new RTCP_ERR_BAD_HEADER(`bad relay address ${addr}`)
  let host = hp.host
  if (host === '0.0.0.0' || host === '::') {
    const m = /\/ip[46]\/([^/]+)\/tcp\//.exec(relayConn.remoteAddr.toString())
    host = m?.[1] ?? '127.0.0.1'
  }
  const socket = net.connect({ host, port: hp.port, noDelay: true, allowHalfOpen: true, signal })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => { socket.off('error', reject); resolve() })
    socket.once('error', reject)
  })
  socket.write(`${token}\n`)
  return socket
}

export function socketMultiaddr (socket: net.Socket): string {
  const ip = socket.remoteAddress ?? '127.0.0.1'
  return `/${net.isIPv6(ip) ? 'ip6' : 'ip4'}/${ip}/tcp/${socket.remotePort ?? 0}`
}

