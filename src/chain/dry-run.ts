// `zonegate route`: which route a connection or request would take, and why, without starting
// anything. It builds the facts the probes would record (SNI from --sni or an https URL's host,
// the request from --url), walks the same compiled tables the gateway uses, and follows
// tls_terminate into its `then` chain the way a real connection would.
import type { ChainSpec, CompiledRoute, ConnFacts, HttpRequestFacts, ProcessSpec } from './types.ts'
import { compileTable } from './table.ts'
import { serviceOfPath } from './service/kapi.ts'
import { splitAppHost } from './service/app.ts'

export interface DryRunInput {
  /** The stack the connection arrives on (its chain is where the walk starts). */
  stack: string
  chain: string
  sni?: string
  alpn?: string[]
  url?: URL
  method?: string
  headers?: Array<[string, string]>
  source?: string
  peer?: string
}

export interface DryRunStep {
  chain: string
  trace: string[]
  route?: CompiledRoute
}

export interface DryRunResult {
  steps: DryRunStep[]
  /** The action finally taken, in words; undefined when no route matched. */
  outcome?: string
}

function requestFacts (url: URL, method: string, headers: Array<[string, string]>): HttpRequestFacts {
  const host = url.hostname.toLowerCase()
  return {
    method,
    target: url.pathname + url.search,
    path: url.pathname === '' ? '/' : url.pathname,
    query: url.search.replace(/^\?/, ''),
    host,
    version: 11,
    headers: [['host', url.host], ...headers.map(([k, v]) => [k.toLowerCase(), v] as [string, string])]
  }
}

/** The action in words; with the request, kapi and app also say which service or app it names. */
export function describeAction (p: ProcessSpec, req?: HttpRequestFacts): string {
  switch (p.kind) {
    case 'forward': return `forward to ${p.group.upstreams.map(u => u.url).join(', ')} (${p.group.balance})`
    case 'http_proxy': return `http_proxy to ${p.proxy.upstreams.map(u => u.url).join(', ')} (${p.proxy.balance})`
    case 'tls_terminate': return `tls_terminate${p.acme != null ? ` (ACME certificate ${p.acme})` : ''}, then chain ${p.then}`
    case 'serve': return `serve files from ${p.dir}`
    case 'redirect': return `redirect ${p.status} to ${p.to}`
    case 'respond': return `respond ${p.status}`
    case 'reject': return `reject (HTTP ${p.status}, otherwise close)`
    case 'drop': return 'drop (close without an answer)'
    case 'direct': return 'direct (SOCKS: connect to the requested target)'
    case 'zone': return `zone: to the zone of the server name (SNI, else Host), target ${p.zone.target}${p.zone.proxyProtocol != null ? `, PROXY ${p.zone.proxyProtocol}` : ''}`
    case 'kapi': {
      const svc = req != null ? serviceOfPath(req.path, p.kapi.prefix) : undefined
      const to = svc != null ? `service://${svc}` : req != null ? '(none: the path names no valid service, 400)' : 'service://<svc>'
      return `kapi: to ${to} from the path ${p.kapi.prefix}/<svc>/...${p.kapi.strip ? `, sent without ${p.kapi.prefix}/<svc>` : ''}`
    }
    case 'app': {
      const names = req != null ? splitAppHost(req.host) : undefined
      const app = names != null ? `app ${names[0]} of zone ${names[1]}` : req != null ? '(none: the Host names no app, 400)' : '<app>.<zone> from the Host'
      return `app: ${app}, to the app's service://<service>; private apps need the zonegate_session cookie, else 302 to ${p.app.login}`
    }
  }
}

export function dryRun (chains: readonly ChainSpec[], input: DryRunInput): DryRunResult {
  const byName = new Map(chains.map(c => [c.name, c]))
  const https = input.url?.protocol === 'https:'
  const sni = input.sni ?? (https ? input.url?.hostname.toLowerCase() : undefined)
  const req = input.url != null ? requestFacts(input.url, (input.method ?? 'GET').toUpperCase(), input.headers ?? []) : undefined
  const [address, port] = (input.source ?? '127.0.0.1').split(/:(?=\d+$)/)
  let facts: ConnFacts = {
    stack: input.stack,
    localPort: 0,
    source: { address, port: Number(port ?? 0) },
    ...(input.peer != null ? { peer: input.peer } : {})
  }
  // What the first bytes would show: a ClientHello when there is a name to send or the URL is
  // https; otherwise the plain HTTP request.
  if (sni != null || https) facts.tls = { ...(sni != null ? { sni } : {}), alpn: input.alpn ?? [] }
  else if (req != null) facts.http = req
  const steps: DryRunStep[] = []
  let name = input.chain
  for (let depth = 0; depth < 4; depth++) {
    const spec = byName.get(name)
    if (spec == null) {
      steps.push({ chain: name, trace: [`no chain named ${name}`] })
      return { steps }
    }
    const table = compileTable(spec)
    const probed: ConnFacts = { ...facts }
    if (!spec.probe.includes('tls')) delete probed.tls
    if (!spec.probe.includes('http')) delete probed.http
    const { route, trace } = table.explain(probed)
    steps.push({ chain: name, trace, ...(route != null ? { route } : {}) })
    if (route == null) return { steps }
    const p = route.spec.process
    if (p.kind !== 'tls_terminate') return { steps, outcome: describeAction(p, req) }
    facts = {
      ...facts,
      terminated: { ...(sni != null ? { sni } : {}), alpn: p.alpn[0] },
      ...(req != null ? { http: req } : {})
    }
    delete facts.tls
    name = p.then
  }
  return { steps, outcome: 'stopped: tls_terminate nested too deep' }
}
