// Time to issue a certificate against Debian's pebble, end to end through our parts: the ACME
// manager (src/acme) with dns-01 answered by the SN's DNS server (src/sn/dns) that pebble
// resolves through, and http-01 answered on pebble's validation port. JSON lines on stdout:
//   node bench/acme.ts [--runs 3]
// Each run uses a fresh account and key (a memory state store), so every order is complete:
// new account, order, authorizations, challenges, finalize, download.
import http from 'node:http'
import { parseArgs } from 'node:util'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { startPebble } from '../test/helpers/pebble.ts'
import { startDnsServer } from '../src/sn/dns/index.ts'
import type { DnsAuthority, DnsRecord } from '../src/sn/dns/types.ts'
import { createAcmeManager, memoryStateStore, type CertificateSpec } from '../src/acme/index.ts'
import { snWaitDns } from '../src/zone/dns01.ts'
import { benchCommit, log, missing, runBench, cleanups } from './chain/procs.ts'
import { makeEmitter } from './chain/report.ts'
import { median } from './chain/load.ts'

const { values: opt } = parseArgs({ strict: false, options: { runs: { type: 'string', default: '3' } } })
const RUNS = Math.max(1, Math.min(20, Number(opt.runs)))
const APEX = 'acme.test'
const { emit, skip } = makeEmitter(benchCommit())

/** A tiny zone: every name under the apex resolves to 127.0.0.1; TXT values are set by the solver. */
function benchAuthority (): { authority: DnsAuthority, txt: Map<string, Set<string>> } {
  const txt = new Map<string, Set<string>>()
  const soa: DnsRecord = { type: 'SOA', primary: `ns1.${APEX}`, admin: `hostmaster.${APEX}`, serial: 1, refresh: 3600, retry: 600, expiration: 86400, minimum: 5, ttl: 5 }
  return {
    txt,
    authority: {
      apexes: () => [APEX],
      records: (name) => {
        const out: DnsRecord[] = name === APEX ? [soa, { type: 'NS', ns: `ns1.${APEX}`, ttl: 5 }] : []
        const values = txt.get(name)
        if (values != null) for (const v of values) out.push({ type: 'TXT', data: [v], ttl: 1 })
        if (!name.startsWith('_acme-challenge.')) out.push({ type: 'A', address: '127.0.0.1', ttl: 5 })
        return out.length > 0 ? out : undefined
      },
      hasDescendants: (name) => name === APEX || [...txt.keys()].some(k => k.endsWith(`.${name}`))
    }
  }
}

async function main (): Promise<void> {
  const need = missing([['/usr/bin/pebble', 'pebble']])
  if (need != null) { skip('acme-issue', {}, `pebble is missing: ${need}`); return }
  const logger = pino({ level: 'silent' })
  const { authority, txt } = benchAuthority()
  const dns = await startDnsServer({ authority, udp: ['127.0.0.1:0'], tcp: ['127.0.0.1:0'], logger })
  cleanups.push(async () => { await dns.close() })
  const [host, port] = [dns.addresses.udp[0].split(':')[0], Number(dns.addresses.udp[0].split(':')[1])]
  const pebble = await startPebble({ dnsServer: `${host}:${port}` })
  cleanups.push(async () => { await pebble.stop() })
  // http-01 answers on pebble's validation port.
  const tokens = new Map<string, string>()
  const web = http.createServer((req, res) => {
    const t = tokens.get((req.url ?? '').replace('/.well-known/acme-challenge/', ''))
    res.writeHead(t != null ? 200 : 404).end(t ?? '')
  })
  await new Promise<void>(resolve => web.listen(pebble.httpPort, '127.0.0.1', resolve))
  cleanups.push(() => { web.close() })

  const cases: Array<{ name: string, spec: CertificateSpec }> = [
    { name: 'dns-01, one name', spec: { id: 'one', names: [`a.${APEX}`], challenge: 'dns-01' } },
    { name: 'dns-01, name + wildcard', spec: { id: 'wild', names: [`z.${APEX}`, `*.z.${APEX}`], challenge: 'dns-01' } },
    { name: 'http-01, one name', spec: { id: 'web', names: [`w.${APEX}`], challenge: 'http-01' } }
  ]
  for (const c of cases) {
    const times: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const manager = createAcmeManager({
        directoryUrl: pebble.directoryUrl,
        caBundle: pebble.caPem,
        certificates: [c.spec],
        state: memoryStateStore(),
        dns01: {
          publish: async (fqdn, value) => { (txt.get(fqdn) ?? txt.set(fqdn, new Set()).get(fqdn)!).add(value) },
          remove: async (fqdn, value) => { txt.get(fqdn)?.delete(value) }
        },
        http01: {
          publish: async (token, keyAuth) => { tokens.set(token, keyAuth) },
          remove: async (token) => { tokens.delete(token) }
        },
        waitDns: snWaitDns({ host, port }, { timeoutMs: 10_000 }),
        logger
      })
      const started = performance.now()
      await manager.ensure()
      const ms = performance.now() - started
      const st = manager.status()[0]
      manager.stop()
      if (st.notAfter == null) throw new Error(`${c.name}: not issued: ${st.lastError ?? 'no error recorded'}`)
      times.push(ms)
    }
    log(`${c.name}: ${times.map(t => t.toFixed(0)).join(', ')} ms`)
    emit('acme-issue', { case: c.name, runs: RUNS, ca: 'pebble 2.4 (PEBBLE_VA_NOSLEEP=1)' }, 'ms', median(times), { min: Math.min(...times), max: Math.max(...times) })
  }
}

await runBench(main, mkdtempSync(join(tmpdir(), 'zonegate-bench-acme-')))
