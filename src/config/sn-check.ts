// Cross-references of the sn:, acme: and sysconfig: sections: certificate ids are unique; a
// gateway's dns-01 certificates are published through its SN, so they need sn:; `zone` routes
// only make sense in an SN, kapi and app only with a sysconfig:; addresses must parse. (That `tls_terminate: { acme: ID }` names a certificate of acme:
// is checked with the chains, in chain-check.ts.)
import { isIP } from 'node:net'
import { parseHostPort } from './host-port.ts'
import type { Report } from './cross-check.ts'

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | undefined => v != null && typeof v === 'object' && !Array.isArray(v) ? v as Obj : undefined
const list = (v: unknown): unknown[] => Array.isArray(v) ? v : []

export function checkSnSections (root: Obj, report: Report, role: 'gateway' | 'sn'): void {
  const sn = obj(root.sn)
  const acme = obj(root.acme)
  const certs = list(acme?.certificates).map(c => obj(c)).filter((c): c is Obj => c != null)
  const ids = certs.map(c => c.id).filter((id): id is string => typeof id === 'string')
  const seen = new Set<string>()
  certs.forEach((c, i) => {
    if (typeof c.id !== 'string') return
    if (seen.has(c.id)) report(['acme', 'certificates', String(i), 'id'], `certificate "${c.id}" is defined twice; give each certificate its own id`)
    seen.add(c.id)
    for (const [j, n] of list(c.names).entries()) {
      if (typeof n === 'string' && n.startsWith('*.') && c.challenge === 'http-01') {
        report(['acme', 'certificates', String(i), 'names', String(j)], `a wildcard name needs challenge dns-01 (ACME allows no http-01 for "${n}")`)
      }
    }
    if (role !== 'sn' && (c.challenge ?? 'dns-01') === 'dns-01' && sn == null) {
      report(['acme', 'certificates', String(i)], 'a gateway publishes dns-01 challenges through its SN: add an sn: section (url, domain, zone)')
    }
    if (role !== 'sn' && c.challenge === 'http-01') {
      report(['acme', 'certificates', String(i), 'challenge'], 'http-01 is answered by an SN on its port 80; a gateway behind its SN uses dns-01')
    }
  })
  const chains = obj(root.chains) ?? {}
  for (const [name, chain] of Object.entries(chains)) {
    for (const [i, r] of list(obj(chain)?.routes).entries()) {
      const process = obj(obj(r)?.process)
      const at = ['chains', name, 'routes', String(i), 'process']
      // service:// and internal:// upstreams are checked with every upstream URL (cross-check.ts).
      if ((process?.kapi !== undefined || process?.app !== undefined) && (role !== 'gateway' || root.sysconfig == null)) {
        report(at, 'service:// upstreams, kapi and app are found by service discovery: add a sysconfig: section (the zone\'s system-config)')
      }
      if (process?.zone !== undefined && role !== 'sn') {
        report([...at, 'zone'], 'the zone action belongs to an SN (it needs the SN\'s registry of zones); a gateway forwards by name with forward:')
      }
    }
  }
  if (sn == null) return
  for (const [i, a] of list(sn.public_addrs).entries()) {
    if (typeof a === 'string' && isIP(a) === 0) report(['sn', 'public_addrs', String(i)], `not an IP address: ${JSON.stringify(a)}`)
  }
  for (const [name, addrs] of Object.entries(obj(sn.names) ?? {})) {
    for (const [i, a] of list(addrs).entries()) if (typeof a === 'string' && isIP(a) === 0) report(['sn', 'names', name, String(i)], `not an IP address: ${JSON.stringify(a)}`)
  }
  for (const [i, l] of list(obj(sn.dns)?.listen).entries()) {
    if (typeof l !== 'string') continue
    const hp = parseHostPort(l, 'listen')
    if (typeof hp === 'string') report(['sn', 'dns', 'listen', String(i)], `${hp}, got ${JSON.stringify(l)}`)
  }
  for (const key of ['connect', 'dns', 'resolver']) {
    const v = sn[key]
    if (typeof v !== 'string') continue
    const hp = parseHostPort(v, 'dial')
    if (typeof hp === 'string') report(['sn', key], `${hp}, got ${JSON.stringify(v)}`)
  }
  if (role === 'gateway' && typeof sn.zone === 'string' && typeof sn.domain === 'string' && !sn.zone.endsWith(`.${sn.domain}`)) {
    report(['sn', 'zone'], `the zone must be a name under the SN's domain: <label>.${sn.domain}`)
  }
}
