// TXT lookups for custom-domain checks, through the resolver the SN's config names (never the
// public resolvers dns2 would otherwise pick).
import { parseHostPort } from '../config/host-port.ts'
import { queryTxt } from '../zone/txt-query.ts'

export function dnsTxtResolver (resolver: string | undefined): (name: string) => Promise<string[][]> {
  // The config check has parsed it already; a bad value here still fails each lookup, not the SN.
  const hp = resolver != null ? parseHostPort(resolver, 'dial') : 'no sn.resolver is configured: custom domains cannot be checked'
  return async (name) => {
    if (typeof hp === 'string') throw new Error(resolver != null ? `sn.resolver ${resolver}: ${hp}` : hp)
    return (await queryTxt({ host: hp.host, port: hp.port }, name, { timeoutMs: 3000 })).map(v => [v])
  }
}
