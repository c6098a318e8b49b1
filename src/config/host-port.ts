// host:port addresses in the config: "127.0.0.1:4430", "[::1]:4430", "sn.example.net:4433".
import { isIP } from 'node:net'

export interface HostPort {
  host: string
  port: number
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/

/**
 * Parse host:port. Returns a reason string when `text` is not one. `listen` addresses must be IP
 * literals (binding to a name is ambiguous) and may use port 0 (any free port); dial addresses
 * may be host names and need a real port.
 */
export function parseHostPort (text: string, use: 'listen' | 'dial'): HostPort | string {
  const m = /^\[([^\]]*)\]:([^:]*)$/.exec(text) ?? /^([^:[\]]*):([^:]*)$/.exec(text)
  if (m == null) {
    return !text.startsWith('[') && text.split(':').length > 2
      ? 'an IPv6 address must be written in brackets: [addr]:port'
      : 'must be host:port (IPv6 as [addr]:port)'
  }
  const [, host, portText] = m
  if (!/^[0-9]{1,5}$/.test(portText)) return `bad port "${portText}"`
  const port = Number(portText)
  const minPort = use === 'listen' ? 0 : 1
  if (port < minPort || port > 65535) return `port ${port} is out of range ${minPort}-65535`
  const bracketed = text.startsWith('[')
  const ipVersion = isIP(host)
  if (bracketed && ipVersion !== 6) return `"${host}" is not an IPv6 address`
  if (use === 'listen' && ipVersion === 0) return `listen on an IP address, not the name "${host}"`
  if (ipVersion === 0 && !HOST_NAME.test(host)) return `"${host}" is not a host name or IP address`
  return { host, port }
}
