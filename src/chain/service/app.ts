// The `app` action: the zone's apps by name. The Host <app>.<zone> is looked up in the app
// registry (ChainDeps.apps, read from system-config by the gateway); the request goes to the
// app's service://<svc>. A private app needs a session: the zonegate_session cookie must be a
// token the session verifier accepts, otherwise the browser is sent to the zone's login page
// with the URL it wanted. The verified user reaches the app as x-zonegate-user, a header the
// gateway alone sets: a client's own is removed on every request, public apps included.
import type { AppSpec, HttpRequestFacts, ServiceDecision } from '../types.ts'
import type { ConnFacts } from '../types.ts'
import { compileTemplate } from '../template.ts'
import { CHAIN_ERR_APP_BAD_ENTRY, CHAIN_ERR_APP_BAD_HOST, CHAIN_ERR_APP_LOOKUP_FAILED, CHAIN_ERR_APP_SESSION_FAILED, CHAIN_ERR_APP_UNKNOWN } from './errors.ts'
import { SERVICE_NAME, removeHeader, serviceUpstreams, type ServiceUpstreamDeps } from './service-upstreams.ts'
import { USER_HEADER, excerpt } from './kapi.ts'

export interface AppEntry {
  /** The service the app runs as (service://<service>). */
  service: string
  /** Private apps need a valid session. */
  private: boolean
}

/** The zone's apps; undefined for an unknown app. */
export interface AppRegistry {
  lookup (app: string, zone: string): AppEntry | undefined | Promise<AppEntry | undefined>
}

/** Session tokens; undefined for a token that is not (or no longer) valid. Throws only when it cannot tell. */
export interface SessionVerifier {
  verify (token: string): { user: string } | undefined | Promise<{ user: string } | undefined>
}

export const SESSION_COOKIE = 'zonegate_session'

export type AppAction = (req: HttpRequestFacts, conn: ConnFacts) => Promise<ServiceDecision>

const LABEL = /^[a-z0-9][a-z0-9_-]{0,62}$/
// Visible ASCII, inner spaces allowed: what a header value can carry as it is.
const PLAIN_VALUE = /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/

/** "app.alice.test" → ["app", "alice.test"]; undefined when the host is not <label>.<zone>. */
export function splitAppHost (host: string | undefined): [string, string] | undefined {
  if (host === undefined) return undefined
  const h = host.endsWith('.') ? host.slice(0, -1) : host
  const dot = h.indexOf('.')
  if (dot <= 0 || dot === h.length - 1) return undefined
  const app = h.slice(0, dot)
  return LABEL.test(app) ? [app, h.slice(dot + 1)] : undefined
}

/** The first zonegate_session value among the Cookie fields (RFC 6265 §5.4: "a=b; c=d"). */
export function sessionCookie (headers: ReadonlyArray<readonly [string, string]>): string | undefined {
  for (const [name, value] of headers) {
    if (name !== 'cookie') continue
    for (const pair of value.split(';')) {
      const eq = pair.indexOf('=')
      if (eq < 0 || pair.slice(0, eq).trim() !== SESSION_COOKIE) continue
      let v = pair.slice(eq + 1).trim()
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1)
      if (v.length > 0) return v
    }
  }
  return undefined
}

/**
 * The Cookie fields without zonegate_session: the zone's session token is for the gateway alone;
 * an app that saw it could replay it against every other app of the zone.
 */
export function dropSessionCookie (headers: Array<[string, string]>): void {
  for (let i = headers.length - 1; i >= 0; i--) {
    if (headers[i][0].toLowerCase() !== 'cookie') continue
    const kept = headers[i][1].split(';').filter(pair => {
      const eq = pair.indexOf('=')
      return (eq < 0 ? pair : pair.slice(0, eq)).trim() !== SESSION_COOKIE
    }).map(p => p.trim()).filter(p => p !== '')
    if (kept.length === 0) headers.splice(i, 1)
    else headers[i] = [headers[i][0], kept.join('; ')]
  }
}

export function createAppAction (spec: AppSpec, deps: ServiceUpstreamDeps & { apps: AppRegistry, sessions: SessionVerifier }): AppAction {
  const services = serviceUpstreams(spec, deps)
  const login = compileTemplate(spec.login)
  const anonymous = (headers: Array<[string, string]>): void => { removeHeader(headers, USER_HEADER); dropSessionCookie(headers) }

  function toLogin (req: HttpRequestFacts, conn: ConnFacts): ServiceDecision {
    const base = login.expand(req, conn)
    const authority = req.headers.find(([n]) => n === 'host')?.[1].toLowerCase() ?? req.host ?? ''
    const uri = req.query === '' ? req.path : `${req.path}?${req.query}`
    // Apps are reached over https on the zone's public names, whatever the hop to us was.
    const original = `https://${authority}${uri}`
    const location = `${base}${base.includes('?') ? '&' : '?'}redirect=${encodeURIComponent(original)}`
    return {
      kind: 'answer',
      response: { status: 302, headers: [['Location', location], ['Cache-Control', 'no-store']] }
    }
  }

  return async (req, conn) => {
    const names = splitAppHost(req.host)
    if (names === undefined) throw new CHAIN_ERR_APP_BAD_HOST(excerpt(req.host ?? '(none)'))
    const [app, zone] = names
    let entry: AppEntry | undefined
    try {
      entry = await deps.apps.lookup(app, zone)
    } catch (err) {
      throw new CHAIN_ERR_APP_LOOKUP_FAILED(`${app}.${zone}`, { cause: err })
    }
    if (entry === undefined) throw new CHAIN_ERR_APP_UNKNOWN(zone, app)
    if (typeof entry.service !== 'string' || !SERVICE_NAME.test(entry.service)) throw new CHAIN_ERR_APP_BAD_ENTRY(`${app}.${zone}`, excerpt(String(entry.service)))
    const s = services.get(entry.service)
    // Anything but an explicit false is private: a malformed entry must not open an app.
    if (entry.private === false) return { kind: 'proxy', upstream: s.upstream, spec: s.spec, editHeaders: anonymous }

    const token = sessionCookie(req.headers)
    if (token === undefined) return toLogin(req, conn)
    let session: { user: string } | undefined
    try {
      session = await deps.sessions.verify(token)
    } catch (err) {
      throw new CHAIN_ERR_APP_SESSION_FAILED(`${app}.${zone}`, { cause: err })
    }
    if (session == null || typeof session.user !== 'string' || session.user === '') return toLogin(req, conn)
    const user = PLAIN_VALUE.test(session.user) ? session.user : encodeURIComponent(session.user)
    return {
      kind: 'proxy',
      upstream: s.upstream,
      spec: s.spec,
      editHeaders: (headers) => { anonymous(headers); headers.push(['X-Zonegate-User', user]) }
    }
  }
}
