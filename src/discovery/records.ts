// The discovery key layout (SPEC section 8) and the JSON kept under it:
//   services/<svc>/instances/<node>  an instance's own report: {state, ports, weight, pid, expires_at}
//   services/<svc>/info              the derived live set: {instances: [{node, ports, weight}], revision}
// expires_at is milliseconds since the epoch by the reporter's clock; an instance is live while
// its state is "running" and expires_at lies ahead. Reports are written by any device of the
// zone, so every field is checked before use: a bad report is skipped, never trusted.
import { SVC_ERR_BAD_INSTANCE, SVC_ERR_BAD_NAME } from './errors.ts'

export const SERVICES_PREFIX = 'services/'

/** Lowercase, usable as a URL host and a key segment. */
const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/
/** A node (device) name: a URL host (rtcp://<node>/) and a key segment. */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/
const PORT_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/
/** More ports than a service sensibly offers; bounds what one report can make us hold. */
export const MAX_PORTS = 32
export const MAX_WEIGHT = 1000
/** Reports larger than this are not parsed at all. */
export const MAX_REPORT_CHARS = 8192
/** The sysconfig value limit (1 MiB) bounds info values anyway; this only fails earlier. */
export const MAX_INFO_CHARS = 1024 * 1024

export interface InstanceReport {
  state: string
  ports: Record<string, number>
  weight: number
  pid?: number
  /** ms since the epoch */
  expires_at: number
}

export interface InfoInstance { node: string, ports: Record<string, number>, weight: number }
export interface ServiceInfo { instances: InfoInstance[], revision: number }

export function isServiceName (name: string): boolean { return SERVICE_NAME.test(name) }
export function isNodeName (name: string): boolean { return NODE_NAME.test(name) }
export function isPortName (name: string): boolean { return PORT_NAME.test(name) }

export function checkName (kind: 'service' | 'node' | 'port', name: string): void {
  const ok = kind === 'service' ? isServiceName(name) : kind === 'node' ? isNodeName(name) : isPortName(name)
  if (!ok) throw new SVC_ERR_BAD_NAME(kind, name)
}

export const instanceKey = (service: string, node: string): string => `${SERVICES_PREFIX}${service}/instances/${node}`
export const infoKey = (service: string): string => `${SERVICES_PREFIX}${service}/info`

/** The service and node of an instance key; undefined for every other key. */
export function parseInstanceKey (key: string): { service: string, node: string } | undefined {
  const m = /^services\/([^/]+)\/instances\/([^/]+)$/.exec(key)
  if (m == null || !isServiceName(m[1]) || !isNodeName(m[2])) return undefined
  return { service: m[1], node: m[2] }
}

function checkPorts (ports: unknown, where: string): Record<string, number> {
  if (ports === null || typeof ports !== 'object' || Array.isArray(ports)) throw new SVC_ERR_BAD_INSTANCE(where, 'ports must be an object')
  const entries = Object.entries(ports)
  if (entries.length > MAX_PORTS) throw new SVC_ERR_BAD_INSTANCE(where, `more than ${MAX_PORTS} ports`)
  const out: Record<string, number> = {}
  for (const [name, port] of entries) {
    if (!isPortName(name)) throw new SVC_ERR_BAD_INSTANCE(where, `bad port name ${JSON.stringify(name.slice(0, 40))}`)
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new SVC_ERR_BAD_INSTANCE(where, `port ${name} is not 1..65535`)
    out[name] = port
  }
  return out
}

function checkWeight (weight: unknown, where: string): number {
  if (weight === undefined) return 1
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0 || weight > MAX_WEIGHT) throw new SVC_ERR_BAD_INSTANCE(where, `weight must be in (0, ${MAX_WEIGHT}]`)
  return weight
}

function parseObject (text: string, where: string, maxChars: number): Record<string, unknown> {
  if (text.length > maxChars) throw new SVC_ERR_BAD_INSTANCE(where, `longer than ${maxChars} characters`)
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    throw new SVC_ERR_BAD_INSTANCE(where, 'not JSON')
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SVC_ERR_BAD_INSTANCE(where, 'not a JSON object')
  return v as Record<string, unknown>
}

/** Decode an instance report; SVC_ERR_BAD_INSTANCE for anything unusable. */
export function parseInstanceReport (text: string, where = 'instance'): InstanceReport {
  const o = parseObject(text, where, MAX_REPORT_CHARS)
  if (typeof o.state !== 'string' || o.state.length > 32) throw new SVC_ERR_BAD_INSTANCE(where, 'state must be a short string')
  const expires = o.expires_at
  if (typeof expires !== 'number' || !Number.isFinite(expires)) throw new SVC_ERR_BAD_INSTANCE(where, 'expires_at must be a number (ms since the epoch)')
  const report: InstanceReport = { state: o.state, ports: checkPorts(o.ports, where), weight: checkWeight(o.weight, where), expires_at: expires }
  if (o.pid !== undefined && o.pid !== null) {
    if (typeof o.pid !== 'number' || !Number.isSafeInteger(o.pid) || o.pid < 0) throw new SVC_ERR_BAD_INSTANCE(where, 'pid must be a non-negative integer')
    report.pid = o.pid
  }
  return report
}

/** Decode a derived info value (written by a deriver, possibly another gateway's). */
export function parseServiceInfo (text: string, where = 'info'): ServiceInfo {
  const o = parseObject(text, where, MAX_INFO_CHARS)
  if (!Array.isArray(o.instances)) throw new SVC_ERR_BAD_INSTANCE(where, 'instances must be an array')
  const instances = o.instances.map((i: unknown): InfoInstance => {
    const r = i as Record<string, unknown> | null
    if (r === null || typeof r !== 'object' || typeof r.node !== 'string' || !isNodeName(r.node)) throw new SVC_ERR_BAD_INSTANCE(where, 'an instance without a valid node')
    return { node: r.node, ports: checkPorts(r.ports, where), weight: checkWeight(r.weight, where) }
  })
  const revision = typeof o.revision === 'number' ? o.revision : 0
  return { instances, revision }
}

export function isLive (report: InstanceReport, now: number): boolean {
  return report.state === 'running' && report.expires_at > now
}

/**
 * The port a request means: the named one; without a name the only port, else the one named
 * "http". Undefined when the instance does not offer it.
 */
export function pickPort (ports: Record<string, number>, portName?: string): number | undefined {
  if (portName !== undefined) return Object.hasOwn(ports, portName) ? ports[portName] : undefined
  const names = Object.keys(ports)
  if (names.length === 1) return ports[names[0]]
  return Object.hasOwn(ports, 'http') ? ports.http : undefined
}

/** The same ports in a canonical order, so equal content serialises equally. */
export function sortedPorts (ports: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(ports).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
}
