// The zone's client of the SN HTTP API (contract "SN HTTP API"): owner calls carry a JWT signed by
// the zone owner's key in the body; device calls carry a short-lived device JWT as a bearer token.
import { signJwt, type Signer } from '../identity/jwt.ts'
import { createSnHttp, isObject } from './sn-http.ts'
import { ZONE_ERR_BAD_RESPONSE, ZONE_ERR_INVALID, ZONE_ERR_NO_DEVICE, ZONE_ERR_SN } from './errors.ts'

/** A key that signs: a device key or a zone owner key (DeviceKey from src/identity/key-file.ts fits). */
export type { Signer }
export interface ZoneDevice { name: string, did: string }
export interface ZoneFacts {
  zone: string, devices: ZoneDevice[], domains: string[], active: boolean
  /** The stored device list version, when the SN tells it (not in the contract's answer yet). */
  version?: number
}
export interface DdnsAnswer { zone: string, device: string, observed: string, records: Record<string, unknown> }
export interface DomainChallenge { domain: string, txtName: string, txtValue: string }
export interface DomainVerification { domain: string, bound: boolean, message?: string }

export interface SnClientInit {
  /** Base URL of the SN API, e.g. https://sn.test:8443. */
  url: string
  /** The SN's domain: the `aud` of every token we sign for it. */
  audience: string
  /** PEM of a CA to trust for this SN only. */
  ca?: string
  /** The device key, for device calls (report, putTxt, deleteTxt). */
  device?: Signer
  /** This device's zone, for device calls. */
  zone?: string
  /** Deadline of each request (default 10 s). */
  timeoutMs?: number
  /** Dial this address instead of the URL's host (tests, split DNS). */
  connectTo?: { host: string, port: number }
}

export interface SnClient {
  readonly url: string
  readonly zone: string | undefined
  registerZone (owner: Signer, invite: string, zone: string): Promise<{ zone: string, owner: string }>
  putDevices (owner: Signer, zone: string, version: number, devices: ZoneDevice[]): Promise<{ zone: string, version: number, devices: ZoneDevice[] }>
  getZone (zone: string): Promise<ZoneFacts>
  report (report: { addrs: string[], direct: boolean }): Promise<DdnsAnswer>
  putTxt (name: string, value: string): Promise<void>
  deleteTxt (name: string, value: string): Promise<void>
  bindDomain (owner: Signer, zone: string, domain: string): Promise<DomainChallenge>
  /** bound: false while the SN cannot see the TXT record yet (its 409). */
  verifyDomain (owner: Signer, zone: string, domain: string): Promise<DomainVerification>
  close (): void
}

/** Device tokens live this long (the SN accepts at most 300 s). A fresh one is signed per call. */
export const DEVICE_TOKEN_TTL_SECONDS = 120
/** Owner proofs and documents are used once, right away. */
export const OWNER_TOKEN_TTL_SECONDS = 300
export const DEFAULT_SN_TIMEOUT_MS = 10_000

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

/** The zone name of `label` under an SN domain: alice + sn.test → alice.sn.test. */
export function zoneName (label: string, snDomain: string): string {
  if (!LABEL.test(label)) throw new ZONE_ERR_INVALID(`zone label "${label}" must be lowercase letters, digits and inner hyphens, 1 to 63 characters`)
  return `${label}.${snDomain.toLowerCase().replace(/\.$/, '')}`
}

export function createSnClient (init: SnClientInit): SnClient {
  if (typeof init.audience !== 'string' || init.audience === '') throw new ZONE_ERR_INVALID('the SN audience (its domain) is required')
  const http = createSnHttp({ url: init.url, ca: init.ca, timeoutMs: init.timeoutMs ?? DEFAULT_SN_TIMEOUT_MS, connectTo: init.connectTo })
  const audience = init.audience
  const origin = http.origin

  const ownerDoc = (owner: Signer, claims: Record<string, unknown>): Promise<string> =>
    signJwt(owner, claims, { audience, ttlSeconds: OWNER_TOKEN_TTL_SECONDS })

  async function deviceToken (operation: string): Promise<{ token: string, zone: string }> {
    if (init.device === undefined || init.zone === undefined) throw new ZONE_ERR_NO_DEVICE(operation)
    const token = await signJwt(init.device, { zone: init.zone }, { audience, ttlSeconds: DEVICE_TOKEN_TTL_SECONDS })
    return { token, zone: init.zone }
  }

  const zonePath = (zone: string): string => `/v1/zones/${encodeURIComponent(zone)}`

  return {
    url: init.url,
    zone: init.zone,

    async registerZone (owner, invite, zone) {
      const proof = await ownerDoc(owner, { zone })
      const answer = await http.call('POST', '/v1/zones', { invite, proof })
      return { zone: str(answer, 'zone', origin), owner: str(answer, 'owner', origin) }
    },

    async putDevices (owner, zone, version, devices) {
      if (!Number.isSafeInteger(version) || version < 0) throw new ZONE_ERR_INVALID(`device list version ${version} must be a non-negative integer`)
      const doc = await ownerDoc(owner, { zone, version, devices: devices.map(d => ({ name: d.name, did: d.did })) })
      const answer = await http.call('PUT', `${zonePath(zone)}/devices`, { doc })
      const v = answer.version
      if (!Number.isSafeInteger(v)) throw new ZONE_ERR_BAD_RESPONSE(origin, 'version is not an integer')
      return { zone: str(answer, 'zone', origin), version: v as number, devices: deviceList(answer.devices, origin) }
    },

    async getZone (zone) {
      const answer = await http.call('GET', zonePath(zone))
      const domains = answer.domains ?? []
      if (!Array.isArray(domains) || !domains.every(d => typeof d === 'string')) throw new ZONE_ERR_BAD_RESPONSE(origin, 'domains is not a list of names')
      if (typeof answer.active !== 'boolean') throw new ZONE_ERR_BAD_RESPONSE(origin, 'active is not a boolean')
      const facts: ZoneFacts = { zone: str(answer, 'zone', origin), devices: deviceList(answer.devices, origin), domains, active: answer.active }
      if (Number.isSafeInteger(answer.version)) facts.version = answer.version as number
      return facts
    },

    async report (report) {
      const { token } = await deviceToken('report')
      const answer = await http.call('POST', '/v1/ddns', { addrs: report.addrs, direct: report.direct }, token)
      const records = answer.records ?? {}
      if (!isObject(records)) throw new ZONE_ERR_BAD_RESPONSE(origin, 'records is not an object')
      return { zone: str(answer, 'zone', origin), device: str(answer, 'device', origin), observed: str(answer, 'observed', origin), records }
    },

    async putTxt (name, value) {
      const { token, zone } = await deviceToken('putTxt')
      await http.call('PUT', `${zonePath(zone)}/txt`, { name, value }, token)
    },

    async deleteTxt (name, value) {
      const { token, zone } = await deviceToken('deleteTxt')
      await http.call('DELETE', `${zonePath(zone)}/txt`, { name, value }, token)
    },

    async bindDomain (owner, zone, domain) {
      const doc = await ownerDoc(owner, { zone, domain })
      const answer = await http.call('POST', `${zonePath(zone)}/domains`, { doc })
      return { domain: str(answer, 'domain', origin), txtName: str(answer, 'txt_name', origin), txtValue: str(answer, 'txt_value', origin) }
    },

    async verifyDomain (owner, zone, domain) {
      const doc = await ownerDoc(owner, { zone, domain })
      try {
        await http.call('POST', `${zonePath(zone)}/domains/${encodeURIComponent(domain)}/verify`, { doc })
        return { domain, bound: true }
      } catch (err) {
        // 409 is the SN's "not yet": the TXT record is not visible to its resolver so far.
        if (err instanceof ZONE_ERR_SN && err.status === 409) return { domain, bound: false, message: err.snMessage }
        throw err
      }
    },

    close () { http.close() }
  }
}

function str (answer: Record<string, unknown>, key: string, origin: string): string {
  const v = answer[key]
  if (typeof v !== 'string') throw new ZONE_ERR_BAD_RESPONSE(origin, `${key} is not a string`)
  return v
}

function deviceList (value: unknown, origin: string): ZoneDevice[] {
  if (!Array.isArray(value)) throw new ZONE_ERR_BAD_RESPONSE(origin, 'devices is not a list')
  return value.map((d: unknown) => {
    if (!isObject(d) || typeof d.name !== 'string' || typeof d.did !== 'string') throw new ZONE_ERR_BAD_RESPONSE(origin, 'a device lacks a name or did')
    return { name: d.name, did: d.did }
  })
}
