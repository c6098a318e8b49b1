// The `kapi` action: the zone's service API. A request for <prefix>/<svc>/rest?q is proxied to
// service://<svc> (discovery resolves that to a live instance), with its path as it came or,
// with strip, without "<prefix>/<svc>". The service is chosen per request, so one kept-alive
// client connection may talk to several services.
import type { HttpRequestFacts, KapiSpec, ServiceDecision } from '../types.ts'
import { CHAIN_ERR_KAPI_BAD_SERVICE } from './errors.ts'
import { SERVICE_NAME, removeHeader, serviceUpstreams, type ServiceUpstreamDeps } from './service-upstreams.ts'

export type ServiceAction = (req: HttpRequestFacts) => Promise<ServiceDecision>

/** The user header only the gateway may set: whatever a client sent is removed. */
export const USER_HEADER = 'x-zonegate-user'

/** The service named by the path segment after `prefix` ("/kapi"), or undefined. */
export function serviceOfPath (path: string, prefix: string): string | undefined {
  if (!path.startsWith(prefix) || path.charCodeAt(prefix.length) !== 47 /* / */) return undefined
  const rest = path.slice(prefix.length + 1)
  const slash = rest.indexOf('/')
  const svc = slash < 0 ? rest : rest.slice(0, slash)
  return SERVICE_NAME.test(svc) ? svc : undefined
}

/** A short, printable excerpt of request text for error messages. */
export function excerpt (text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)
}

export function createKapiAction (spec: KapiSpec, deps: ServiceUpstreamDeps): ServiceAction {
  const services = serviceUpstreams(spec, deps)
  const editHeaders = (headers: Array<[string, string]>): void => removeHeader(headers, USER_HEADER)
  return async (req) => {
    const svc = serviceOfPath(req.path, spec.prefix)
    if (svc === undefined) throw new CHAIN_ERR_KAPI_BAD_SERVICE(excerpt(req.path))
    const s = services.get(svc, spec.strip ? { stripPrefix: `${spec.prefix}/${svc}` } : {})
    return { kind: 'proxy', upstream: s.upstream, spec: s.spec, editHeaders }
  }
}
