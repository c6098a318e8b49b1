// Compiling the chains of a config into what runs: one route table per chain and, per route, the
// parts its action needs (an upstream group, a certificate store, a local answer, response
// filters). Built once per load or reload; a connection keeps the set it started with, so a
// reload never changes the rules under a connection that is already flowing.
import type { Duplex } from 'node:stream'
import type { Logger } from '../../core/logger.ts'
import type { ChainSpec, CompiledRoute, ConnFacts, HttpRequestFacts, LocalResponse, RouteTable, ServiceDecision, ShadowWarning, UpstreamConnector } from '../types.ts'
import type { ResponseHead } from '../http/types.ts'
import { compileTable, findShadowed } from '../table.ts'
import { compileTrust, type TrustCheck } from '../match/trust.ts'
import { createUpstreamGroup } from '../upstream/group.ts'
import { createLocalAction } from '../actions/local.ts'
import { compileResponseFilters } from '../filters/response-filters.ts'
import { loadCertStore, type CertStore } from '../tls/cert-store.ts'
import { CHAIN_ERR_TLS_NO_CERT_PROVIDER } from '../tls/errors.ts'
import { CHAIN_ERR_ZONE_NO_RESOLVER } from '../zone/errors.ts'
import type { ZoneResolver } from '../zone/zone.ts'
import { createKapiAction } from '../service/kapi.ts'
import { createAppAction, type AppRegistry, type SessionVerifier } from '../service/app.ts'
import { CHAIN_ERR_APP_NO_REGISTRY } from '../service/errors.ts'

export type ResponseFilter = (head: ResponseHead, req: HttpRequestFacts, conn: ConnFacts) => void
export type LocalAction = (req: HttpRequestFacts, conn: ConnFacts) => Promise<LocalResponse>

/** What a route's action needs at run time; only the parts its kind uses are present. */
export interface RouteRuntime {
  upstream?: UpstreamConnector & { snapshot?: () => unknown }
  certs?: CertStore
  local?: LocalAction
  /** The zone action: where zones are looked up and how their upstreams are opened. */
  zone?: { resolver: ZoneResolver, open: ChainDeps['open'] }
  /** kapi and app: the service (and head edits) for one request, or a local answer. */
  service?: (req: HttpRequestFacts, conn: ConnFacts) => Promise<ServiceDecision>
  filter: ResponseFilter
}

export interface RunnableChain {
  readonly spec: ChainSpec
  readonly table: RouteTable
  /** True when a PROXY header from this address is believed. */
  readonly trusted: TrustCheck
  /** The chain-wide response filters. */
  readonly filter: ResponseFilter
  runtime(route: CompiledRoute): RouteRuntime
}

export interface ChainSet {
  get(name: string): RunnableChain | undefined
  readonly names: readonly string[]
  readonly warnings: readonly ShadowWarning[]
}

export interface ChainDeps {
  open(url: string, options: { signal: AbortSignal }): Promise<Duplex>
  logger: Logger
  /**
   * Live certificates by ACME certificate id (the process's ACME manager provides it), for
   * tls_terminate routes written with `acme: <id>`. Without it such a route fails to compile.
   */
  certs?: (id: string) => CertStore
  /** The zone registry (an SN provides it), for routes with the zone action. */
  zones?: ZoneResolver
  /** The zone's apps (the gateway reads them from system-config), for routes with the app action. */
  apps?: AppRegistry
  /** Checks session tokens (the zone's token issuer), for private apps. */
  sessions?: SessionVerifier
}

const noFilter: ResponseFilter = () => {}

export async function compileChainSet (specs: readonly ChainSpec[], deps: ChainDeps): Promise<ChainSet> {
  const chains = new Map<string, RunnableChain>()
  const warnings: ShadowWarning[] = []
  for (const spec of specs) {
    const table = compileTable(spec)
    warnings.push(...findShadowed(spec))
    const runtimes = new Map<CompiledRoute, RouteRuntime>()
    for (const route of table.routes) runtimes.set(route, await routeRuntime(route, deps))
    const trusted = compileTrust(spec.trustedProxies)
    chains.set(spec.name, {
      spec,
      table,
      trusted,
      filter: spec.postRespFilter.length > 0 ? compileResponseFilters(spec.postRespFilter) : noFilter,
      runtime: (route) => runtimes.get(route) as RouteRuntime
    })
  }
  return {
    get: (name) => chains.get(name),
    names: [...chains.keys()],
    warnings
  }
}

async function routeRuntime (route: CompiledRoute, deps: ChainDeps): Promise<RouteRuntime> {
  const p = route.spec.process
  const filter = route.spec.postRespFilter.length > 0 ? compileResponseFilters(route.spec.postRespFilter) : noFilter
  const log = deps.logger.child({ mod: 'chain.upstream', chain: route.chain, route: route.spec.id })
  switch (p.kind) {
    case 'forward':
      return { upstream: createUpstreamGroup(p.group, { open: deps.open, logger: log }), filter }
    case 'http_proxy':
      return { upstream: createUpstreamGroup(p.proxy, { open: deps.open, logger: log }), filter }
    case 'tls_terminate': {
      if (p.acme != null) {
        if (deps.certs == null) throw new CHAIN_ERR_TLS_NO_CERT_PROVIDER(`${route.chain}/${route.spec.id}`, p.acme)
        return { certs: deps.certs(p.acme), filter }
      }
      const certs = await loadCertStore(p.certs)
      for (const w of certs.warnings) deps.logger.warn({ mod: 'chain.tls', chain: route.chain, route: route.spec.id }, w)
      return { certs, filter }
    }
    case 'serve':
    case 'redirect':
    case 'respond':
    case 'reject':
      return { local: createLocalAction(p), filter }
    case 'zone':
      if (deps.zones == null) throw new CHAIN_ERR_ZONE_NO_RESOLVER(`${route.chain}/${route.spec.id}`)
      return { zone: { resolver: deps.zones, open: deps.open }, filter }
    case 'kapi':
      return { service: createKapiAction(p.kapi, { open: deps.open, logger: log }), filter }
    case 'app':
      if (deps.apps == null || deps.sessions == null) throw new CHAIN_ERR_APP_NO_REGISTRY(`${route.chain}/${route.spec.id}`)
      return { service: createAppAction(p.app, { open: deps.open, logger: log, apps: deps.apps, sessions: deps.sessions }), filter }
    case 'drop':
    case 'direct':
      return { filter }
  }
}
