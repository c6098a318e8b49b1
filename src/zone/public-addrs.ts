// The addresses a device reports to the SN by default: those of its network interfaces that
// another machine could reach (not loopback, not link-local). The SN also records the address it
// sees, so a device behind NAT is still found.
import { networkInterfaces } from 'node:os'

export function publicInterfaceAddrs (interfaces = networkInterfaces()): string[] {
  const found = new Set<string>()
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      if (info.internal) continue
      // Link-local addresses only mean something on one link (and need a scope id): useless to the SN.
      if (info.family === 'IPv4' && info.address.startsWith('169.254.')) continue
      if (info.family === 'IPv6' && /^fe[89ab]/i.test(info.address)) continue
      found.add(info.address)
    }
  }
  return [...found]
}
