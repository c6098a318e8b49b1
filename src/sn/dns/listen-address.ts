// "host:port" listen addresses ("[::1]:53" for IPv6), and the URL each listener logs.
import { isIP } from 'node:net'
import { DNS_ERR_BAD_LISTEN_ADDRESS } from './errors.ts'

export interface HostPort { host: string, port: number }

export function parseListenAddress (s: string): HostPort {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:[\]]+):(\d{1,5})$/.exec(s)
  const port = m != null ? Number(m[2]) : NaN
  if (m == null || port > 65535 || (m[1].includes(':') && isIP(m[1]) !== 6)) throw new DNS_ERR_BAD_LISTEN_ADDRESS(s)
  return { host: m[1], port }
}

export function formatHostPort (host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
