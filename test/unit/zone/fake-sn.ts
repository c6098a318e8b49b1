// A small SN for the zone client's tests: a real node:https server on loopback that implements the
// endpoints of the contract's "SN HTTP API" the zone side calls, keeps its state in memory and
// checks every JWT with verifyJwt (owner proofs and documents, device bearer tokens).
import { createServer, type Server } from 'node:https'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { verifyJwt } from '../../../src/identity/jwt.ts'
import { selfSigned } from '../../helpers/self-signed.ts'

export const SN_DOMAIN = 'sn.test'

/** The part of a tap test the fixtures use. */
export interface TestLike { teardown (fn: () => unknown): void, testdir (): string }
const DEVICE_MAX_TTL = 300

export interface FakeZone {
  owner: string
  version: number
  devices: Array<{ name: string, did: string }>
  domains: string[]
  pending: Map<string, string>
  txt: Map<string, string[]>
  reports: Map<string, { addrs: string[], direct: boolean, observed: string }>
}

export interface SeenRequest { method: string, path: string, claims?: Record<string, unknown>, issuer?: string }

export interface FakeSn {
  url: string
  port: number
  ca: string
  zones: Map<string, FakeZone>
  invites: Set<string>
  seen: SeenRequest[]
  /** The next `count` requests to `path` answer with this error instead. */
  failNext (path: string, count: number, status: number, code: string): void
  /** Requests to `path` are never answered. */
  hang (path: string): void
  /** GET /v1/zones/{zone} also answers the stored version. */
  showVersion: boolean
  /** Values of `records` in DDNS answers (to change what the reporter sees). */
  records: Record<string, unknown>
  close (): Promise<void>
}

class HttpError extends Error {
  status: number
  code: string
  constructor (status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

export async function startFakeSn (dir: string): Promise<FakeSn> {
  const { key, cert } = await selfSigned(dir, SN_DOMAIN)
  const zones = new Map<string, FakeZone>()
  const invites = new Set<string>(['invite-1'])
  const seen: SeenRequest[] = []
  const failures = new Map<string, { count: number, status: number, code: string }>()
  const hanging = new Set<string>()

  async function body (req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req) {
      size += (chunk as Buffer).byteLength
      if (size > 64 * 1024) throw new HttpError(413, 'SN_ERR_TOO_LARGE', 'body over 64 KiB')
      chunks.push(chunk as Buffer)
    }
    if (req.headers['content-type'] !== 'application/json') throw new HttpError(415, 'SN_ERR_CONTENT_TYPE', 'JSON only')
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  }

  async function ownerDoc (token: unknown, zone?: string): Promise<{ issuer: string, claims: Record<string, unknown> }> {
    try {
      return await verifyJwt(String(token), {
        audience: SN_DOMAIN,
        maxTtlSeconds: 600,
        trust: (did) => zone === undefined || zones.get(zone)?.owner === did
      })
    } catch (err) {
      throw new HttpError(403, 'SN_ERR_BAD_TOKEN', (err as { code: string }).code)
    }
  }

  async function device (req: IncomingMessage): Promise<{ zone: FakeZone, name: string, did: string, claims: Record<string, unknown> }> {
    const auth = req.headers.authorization ?? ''
    if (!auth.startsWith('Bearer ')) throw new HttpError(401, 'SN_ERR_NO_TOKEN', 'device token required')
    let claimsZone: unknown
    const verified = await verifyJwt(auth.slice(7), {
      audience: SN_DOMAIN,
      maxTtlSeconds: DEVICE_MAX_TTL,
      trust: () => true
    }).catch(err => { throw new HttpError(401, 'SN_ERR_BAD_TOKEN', (err as { code: string }).code) })
    claimsZone = verified.claims.zone
    const zone = zones.get(String(claimsZone))
    const listed = zone?.devices.find(d => d.did === verified.issuer)
    if (zone === undefined || listed === undefined) throw new HttpError(403, 'SN_ERR_NOT_A_DEVICE', 'not a device of that zone')
    return { zone, name: listed.name, did: listed.did, claims: verified.claims }
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://x').pathname
    const method = req.method ?? 'GET'
    const entry: SeenRequest = { method, path }
    seen.push(entry)
    if (hanging.has(path)) return
    const failure = failures.get(path)
    if (failure !== undefined && failure.count > 0) {
      failure.count--
      throw new HttpError(failure.status, failure.code, 'injected failure')
    }
    let m: RegExpExecArray | null
    if (method === 'POST' && path === '/v1/zones') {
      const b = await body(req)
      const { issuer, claims } = await ownerDoc(b.proof)
      Object.assign(entry, { claims, issuer })
      if (!invites.has(String(b.invite))) throw new HttpError(403, 'SN_ERR_BAD_INVITE', 'unknown invitation code')
      const zone = String(claims.zone)
      if (zones.has(zone)) throw new HttpError(409, 'SN_ERR_ZONE_TAKEN', `zone ${zone} is taken`)
      zones.set(zone, { owner: issuer, version: 0, devices: [], domains: [], pending: new Map(), txt: new Map(), reports: new Map() })
      return send(res, 201, { zone, owner: issuer })
    }
    if ((m = /^\/v1\/zones\/([^/]+)\/devices$/.exec(path)) !== null && method === 'PUT') {
      const zoneName = decodeURIComponent(m[1])
      const zone = zones.get(zoneName)
      if (zone === undefined) throw new HttpError(404, 'SN_ERR_NO_ZONE', 'no such zone')
      const { claims, issuer } = await ownerDoc((await body(req)).doc, zoneName)
      Object.assign(entry, { claims, issuer })
      if (claims.zone !== zoneName) throw new HttpError(403, 'SN_ERR_WRONG_ZONE', 'document names another zone')
      if (typeof claims.version !== 'number' || claims.version <= zone.version) throw new HttpError(409, 'SN_ERR_STALE_VERSION', `version must exceed ${zone.version}`)
      zone.version = claims.version
      zone.devices = claims.devices as FakeZone['devices']
      return send(res, 200, { zone: zoneName, version: zone.version, devices: zone.devices })
    }
    if ((m = /^\/v1\/zones\/([^/]+)$/.exec(path)) !== null && method === 'GET') {
      const zoneName = decodeURIComponent(m[1])
      const zone = zones.get(zoneName)
      if (zone === undefined) throw new HttpError(404, 'SN_ERR_NO_ZONE', `no zone ${zoneName}`)
      return send(res, 200, { zone: zoneName, devices: zone.devices, domains: zone.domains, active: zone.devices.length > 0, ...(sn.showVersion ? { version: zone.version } : {}) })
    }
    if (method === 'POST' && path === '/v1/ddns') {
      const d = await device(req)
      Object.assign(entry, { claims: d.claims, issuer: d.did })
      const b = await body(req)
      const observed = req.socket.remoteAddress ?? ''
      d.zone.reports.set(d.did, { addrs: b.addrs as string[], direct: b.direct as boolean, observed })
      return send(res, 200, { zone: d.claims.zone, device: d.name, observed, records: sn.records })
    }
    if ((m = /^\/v1\/zones\/([^/]+)\/txt$/.exec(path)) !== null && (method === 'PUT' || method === 'DELETE')) {
      const zoneName = decodeURIComponent(m[1])
      const d = await device(req)
      Object.assign(entry, { claims: d.claims, issuer: d.did })
      if (d.claims.zone !== zoneName) throw new HttpError(403, 'SN_ERR_WRONG_ZONE', 'token is for another zone')
      const { name, value } = await body(req) as { name: string, value: string }
      if (name !== zoneName && !name.endsWith('.' + zoneName)) throw new HttpError(403, 'SN_ERR_OUTSIDE_ZONE', `${name} is outside ${zoneName}`)
      const values = d.zone.txt.get(name) ?? []
      if (method === 'PUT') d.zone.txt.set(name, [...values.filter(v => v !== value), value])
      else d.zone.txt.set(name, values.filter(v => v !== value))
      return send(res, 200, {})
    }
    if ((m = /^\/v1\/zones\/([^/]+)\/domains$/.exec(path)) !== null && method === 'POST') {
      const zoneName = decodeURIComponent(m[1])
      const zone = zones.get(zoneName)
      if (zone === undefined) throw new HttpError(404, 'SN_ERR_NO_ZONE', 'no such zone')
      const { claims } = await ownerDoc((await body(req)).doc, zoneName)
      const domain = String(claims.domain)
      zone.pending.set(domain, 'v-' + domain.length)
      return send(res, 202, { domain, txt_name: `_zonegate-challenge.${domain}`, txt_value: zone.pending.get(domain) })
    }
    if ((m = /^\/v1\/zones\/([^/]+)\/domains\/([^/]+)\/verify$/.exec(path)) !== null && method === 'POST') {
      const zoneName = decodeURIComponent(m[1])
      const domain = decodeURIComponent(m[2])
      const zone = zones.get(zoneName)
      if (zone === undefined) throw new HttpError(404, 'SN_ERR_NO_ZONE', 'no such zone')
      await ownerDoc((await body(req)).doc, zoneName)
      // The test marks a domain as "visible" by naming it verified.example.
      if (domain !== 'verified.example') throw new HttpError(409, 'SN_ERR_NOT_VERIFIED', 'TXT record not found yet')
      zone.domains.push(domain)
      return send(res, 200, { domain, bound: true })
    }
    throw new HttpError(404, 'SN_ERR_NOT_FOUND', `no route ${method} ${path}`)
  }

  function send (res: ServerResponse, status: number, value: unknown): void {
    const text = JSON.stringify(value)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }

  const server: Server = createServer({ key, cert }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'SN_ERR_INTERNAL', err.message)
      send(res, e.status, { error: { code: e.code, message: e.message } })
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  const sn: FakeSn = {
    url: `https://${SN_DOMAIN}:${port}`,
    port,
    ca: cert.toString('utf8'),
    zones,
    invites,
    seen,
    showVersion: false,
    records: { a: ['192.0.2.1'] },
    failNext (path, count, status, code) { failures.set(path, { count, status, code }) },
    hang (path) { hanging.add(path) },
    async close () {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    }
  }
  return sn
}
