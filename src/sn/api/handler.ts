// The SN's public HTTP API (registration, device lists, DDNS, TXT records, custom domains, the
// SN's own http-01 answers) as a node:http request handler. Authentication and validation are
// the registry's and device-auth's; this file routes, limits rates and shapes answers.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { resolveTxt as systemResolveTxt } from 'node:dns/promises'
import type { Logger } from '../../core/logger.ts'
import type { DnsAuthority } from '../dns/types.ts'
import type { SnRegistry } from '../registry/types.ts'
import { canonicalIp } from '../registry/addresses.ts'
import { normalizeName } from '../registry/names.ts'
import { DeviceAuth } from './device-auth.ts'
import { RateLimiter } from './rate-limit.ts'
import { DEFAULT_MAX_BODY_BYTES, readJsonObject } from './body.ts'
import { sendError, sendJson, sendText } from './respond.ts'
import {
  SN_ERR_BAD_REQUEST, SN_ERR_DOMAIN_NOT_VERIFIED, SN_ERR_METHOD_NOT_ALLOWED, SN_ERR_NOT_FOUND, SN_ERR_RATE_LIMITED,
  SN_ERR_ZONE_MISMATCH, SN_ERR_ZONE_UNKNOWN
} from '../errors.ts'

export interface SnApiInit {
  /** The address the request came from (the lead's: X-Forwarded-For's last hop behind our proxy). */
  clientAddress?: (req: IncomingMessage) => string | undefined
  /** TXT lookup for custom-domain challenges; default node:dns (the system resolver). */
  resolveTxt?: (name: string) => Promise<string[][]>
  /** When given, the DDNS answer lists the A/AAAA records the SN now serves for the device. */
  authority?: DnsAuthority
  limits?: { registrationsPerMinute?: number, recordChangesPerMinute?: number }
  maxBodyBytes?: number
  /** Bound on the keys each rate limiter remembers. */
  maxRateKeys?: number
  logger?: Logger
  now?: () => number
}

type Handler = (ctx: Ctx, params: string[]) => Promise<void>
interface Ctx { req: IncomingMessage, res: ServerResponse, client: string }
interface Route { pattern: RegExp, methods: Record<string, Handler> }

export const CHALLENGE_PREFIX = '_zonegate-challenge.'

export function createSnApi (registry: SnRegistry, init: SnApiInit = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const now = init.now ?? Date.now
  const maxBody = init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const resolveTxt = init.resolveTxt ?? systemResolveTxt
  const clientAddress = init.clientAddress ?? ((req: IncomingMessage) => req.socket.remoteAddress)
  const auth = new DeviceAuth(registry, { now })
  const registrations = new RateLimiter({ capacity: init.limits?.registrationsPerMinute ?? 5, perMs: 60_000, maxKeys: init.maxRateKeys })
  const recordChanges = new RateLimiter({ capacity: init.limits?.recordChangesPerMinute ?? 60, perMs: 60_000, maxKeys: init.maxRateKeys })

  function limit (limiter: RateLimiter, key: string, what: string): void {
    const wait = limiter.take(key, now())
    if (wait > 0) throw Object.assign(new SN_ERR_RATE_LIMITED(what), { retryAfterMs: wait })
  }

  const body = async (ctx: Ctx): Promise<Record<string, unknown>> => await readJsonObject(ctx.req, maxBody)

  /** A device token for `zone` (path), rate-limited per zone. */
  async function deviceFor (ctx: Ctx, zone: string | undefined): Promise<{ did: string, zone: string, name: string }> {
    const device = await auth.authenticate(ctx.req)
    if (zone !== undefined && zone !== device.zone) throw new SN_ERR_ZONE_MISMATCH(device.zone, zone)
    limit(recordChanges, device.zone, `zone ${device.zone}`)
    return device
  }

  const registerZone: Handler = async (ctx) => {
    limit(registrations, ctx.client, `registrations from ${ctx.client}`)
    const b = await body(ctx)
    sendJson(ctx.res, 201, await registry.registerZone(b.invite, b.proof))
  }

  const putDevices: Handler = async (ctx, [zone]) => {
    const b = await body(ctx)
    sendJson(ctx.res, 200, await registry.putDevices(zone, b.doc))
  }

  const getZone: Handler = async (ctx, [zone]) => {
    const info = registry.zoneInfo(zone)
    if (info === undefined) throw new SN_ERR_ZONE_UNKNOWN(zone)
    sendJson(ctx.res, 200, info)
  }

  const ddns: Handler = async (ctx) => {
    const device = await deviceFor(ctx, undefined)
    const b = await body(ctx)
    if (!Array.isArray(b.addrs)) throw new SN_ERR_BAD_REQUEST('"addrs" must be an array of IP addresses')
    if (typeof b.direct !== 'boolean') throw new SN_ERR_BAD_REQUEST('"direct" must be a boolean')
    const observed = ctx.client === '' ? undefined : canonicalIp(ctx.client)
    registry.report(device.did, { addrs: b.addrs as string[], observed, direct: b.direct }, now())
    sendJson(ctx.res, 200, { zone: device.zone, device: device.name, observed: observed ?? null, records: recordsOf(device) })
  }

  function recordsOf (device: { zone: string, name: string }): Record<string, string[]> {
    const out: Record<string, string[]> = {}
    const names = [device.zone, `*.${device.zone}`, `${device.name}.${device.zone}`]
    for (const name of names) {
      if (init.authority !== undefined) {
        const ips = (init.authority.records(name) ?? []).flatMap(r => r.type === 'A' || r.type === 'AAAA' ? [r.address] : [])
        if (ips.length > 0) out[name] = ips
      }
    }
    if (init.authority === undefined) {
      const d = registry.zoneOf(device.zone)?.devices.find(x => x.name === device.name)
      if (d !== undefined) out[names[2]] = d.addrs.length > 0 ? d.addrs : d.observed !== undefined ? [d.observed] : []
    }
    return out
  }

  const putTxt: Handler = async (ctx, [zone]) => {
    const device = await deviceFor(ctx, zone)
    const b = await body(ctx)
    sendJson(ctx.res, 200, { zone: device.zone, ...registry.setTxt(device.zone, b.name, b.value) })
  }

  const deleteTxt: Handler = async (ctx, [zone]) => {
    const device = await deviceFor(ctx, zone)
    const b = await body(ctx)
    sendJson(ctx.res, 200, { zone: device.zone, ...registry.removeTxt(device.zone, b.name, b.value) })
  }

  const claimDomain: Handler = async (ctx, [zone]) => {
    const b = await body(ctx)
    const claims = await registry.verifyOwnerDoc(zone, b.doc)
    limit(recordChanges, zone, `zone ${zone}`)
    const { domain, challenge } = registry.claimDomain(zone, claims.domain)
    sendJson(ctx.res, 202, { domain, txt_name: CHALLENGE_PREFIX + domain, txt_value: challenge })
  }

  const verifyDomain: Handler = async (ctx, [zone, domain]) => {
    const b = await body(ctx)
    const claims = await registry.verifyOwnerDoc(zone, b.doc)
    if (normalizeName(claims.domain) !== domain) throw new SN_ERR_BAD_REQUEST('claim "domain" does not match the path')
    limit(recordChanges, zone, `zone ${zone}`)
    const { challenge, verified } = registry.domainChallenge(zone, domain)
    if (!verified) {
      const name = CHALLENGE_PREFIX + domain
      let found: string[][]
      try {
        found = await resolveTxt(name)
      } catch (err) {
        throw new SN_ERR_DOMAIN_NOT_VERIFIED(name, `lookup failed: ${(err as Error).message}`, { cause: err })
      }
      if (!found.some(chunks => chunks.join('') === challenge)) throw new SN_ERR_DOMAIN_NOT_VERIFIED(name, `${found.length} TXT record(s), none matches`)
      registry.bindDomain(zone, domain)
    }
    sendJson(ctx.res, 200, { zone, domain, verified: true })
  }

  const httpChallenge: Handler = async (ctx, [token]) => {
    const keyAuth = registry.httpChallenge(token)
    if (keyAuth === undefined) throw new SN_ERR_NOT_FOUND('acme-challenge token')
    sendText(ctx.res, 200, keyAuth)
  }

  const SEG = '([^/]+)'
  const routes: Route[] = [
    { pattern: /^\/v1\/zones$/, methods: { POST: registerZone } },
    { pattern: new RegExp(`^/v1/zones/${SEG}$`), methods: { GET: getZone } },
    { pattern: new RegExp(`^/v1/zones/${SEG}/devices$`), methods: { PUT: putDevices } },
    { pattern: /^\/v1\/ddns$/, methods: { POST: ddns } },
    { pattern: new RegExp(`^/v1/zones/${SEG}/txt$`), methods: { PUT: putTxt, DELETE: deleteTxt } },
    { pattern: new RegExp(`^/v1/zones/${SEG}/domains$`), methods: { POST: claimDomain } },
    { pattern: new RegExp(`^/v1/zones/${SEG}/domains/${SEG}/verify$`), methods: { POST: verifyDomain } },
    { pattern: new RegExp(`^/\\.well-known/acme-challenge/${SEG}$`), methods: { GET: httpChallenge } }
  ]

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req.url)
    for (const route of routes) {
      const m = path === undefined ? null : route.pattern.exec(path)
      if (m === null) continue
      const handler = route.methods[req.method ?? '']
      if (handler === undefined) {
        throw Object.assign(new SN_ERR_METHOD_NOT_ALLOWED(String(req.method), path ?? ''), { allow: Object.keys(route.methods).join(', ') })
      }
      const params = m.slice(1).map(p => decodeParam(p, route === routes[routes.length - 1]))
      const client = clientAddress(req) ?? ''
      await handler({ req, res, client }, params)
      return
    }
    throw new SN_ERR_NOT_FOUND(String(path ?? req.url).slice(0, 100))
  }

  return (req, res) => {
    handle(req, res).catch(err => {
      const allow = (err as { allow?: unknown }).allow
      if (typeof allow === 'string' && !res.headersSent) res.setHeader('allow', allow)
      sendError(res, err, init.logger)
    })
  }
}

function pathOf (url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  const q = url.indexOf('?')
  const path = q < 0 ? url : url.slice(0, q)
  // Absolute-form targets ("http://host/path") carry the path after the authority.
  if (!path.startsWith('/')) {
    try {
      return new URL(path).pathname
    } catch {
      return undefined
    }
  }
  return path
}

/** Path parameters: percent-decoded; zone and domain names lowercased without a trailing dot. */
function decodeParam (raw: string, caseSensitive: boolean): string {
  let text: string
  try {
    text = decodeURIComponent(raw)
  } catch {
    throw new SN_ERR_BAD_REQUEST('malformed percent-encoding in the path')
  }
  return caseSensitive ? text : normalizeName(text) ?? text
}
