// TXT lookups for custom-domain checks, through the resolver the SN's config names (never the
// public resolvers dns2 would otherwise pick).
import { parseHostPort } from '../config/host-port.ts'
import { queryTxt } from '../zone/txt-query.ts'

export function dnsTxtResolver (resolver: string | undefined): (name: string) => Promise<string[][]> {
  return async (name) => {
    if (resolver == null) throw new Error('no sn.resolver is configured: custom domains cannot be checked')
    const hp = parseHostPort(resolver, 'dial')
    if (typeof hp === 'string') throw new Error(`sn.resolver ${resolver}: ${hp}`)
    return (await queryTxt({ host: hp.host, port: hp.port }, name, { timeoutMs: 3000 })).map(v => [v])
  }
}
