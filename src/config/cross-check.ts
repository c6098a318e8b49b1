// Checks the schema cannot express: names that must refer to something defined elsewhere in the
// file, addresses and URLs that must parse, values that must agree with each other. The data may
// have failed the schema too, so every access here is defensive: report, never crash.
import { isDid } from '../identity/did.ts'
import { parseTunnelUrl, targetOf } from '../tunnel/url.ts'
import { parseHostPort } from './host-port.ts'
import { RTCP_LIMITS } from './limits.ts'
import { parseDuration, parseSize } from './units.ts'
import { closest } from './suggest.ts'
import { FORWARD_SCHEMES } from './schema.ts'
import { checkChains } from './chain-check.ts'
import { checkSnSections } from './sn-check.ts'
import { parseSocksUrl } from '../socks/tunnel.ts'

export type Report = (segments: readonly string[], message: string, where?: 'key' | 'value') => void

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | undefined => v != null && typeof v === 'object' && !Array.isArray(v) ? v as Obj : undefined
const list = (v: unknown): unknown[] => Array.isArray(v) ? v : []
const PEER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/

export function crossCheck (data: unknown, report: Report, role?: 'gateway' | 'sn'): void {
  const root = obj(data)
  if (root == null) return
  const rtcp = obj(root.rtcp) ?? {}
  const peers = obj(rtcp.peers) ?? {}
  const names = Object.keys(peers)
  checkListen(list(rtcp.listen), ['rtcp', 'listen'], report)
  const relayListen = obj(rtcp.relay)?.listen
  if (typeof relayListen === 'string') {
    const hp = parseHostPort(relayListen, 'listen')
    if (typeof hp === 'string') report(['rtcp', 'relay', 'listen'], `${hp}, got ${JSON.stringify(relayListen)}`)
  }
  checkPeers(peers, report)
  checkTrust(list(obj(rtcp.trust)?.devices), names, report)
  checkLimits(rtcp, report)
  const chosen = role ?? (root.role === 'sn' ? 'sn' : 'gateway')
  const unavailable = unavailableSchemes(root, chosen)
  checkStacks(list(root.stacks), peers, unavailable, report)
  checkChains(root, report, url => forwardProblem(url, peers, unavailable))
  checkSnSections(root, report, chosen)
}

function unknownPeer (name: string, names: string[]): string {
  const guess = closest(name, names)
  if (guess != null) return `names no configured peer "${name}"; did you mean "${guess}"?`
  return `names no configured peer "${name}"; ${names.length === 0 ? 'rtcp.peers is empty' : `known peers: ${names.join(', ')}`}`
}

function checkListen (items: unknown[], at: string[], report: Report): void {
  const seen = new Set<string>()
  items.forEach((item, i) => {
    if (typeof item !== 'string' || item === '') return
    const hp = parseHostPort(item, 'listen')
    if (typeof hp === 'string') report([...at, String(i)], `${hp}, got ${JSON.stringify(item)}`)
    else if (seen.has(item) && hp.port !== 0) report([...at, String(i)], `"${item}" is listed twice`)
    seen.add(item)
  })
}

function canDial (peer: Obj | undefined): boolean {
  return peer != null && (list(peer.addrs).length > 0 || (typeof peer.via === 'string' && peer.via !== ''))
}

function checkPeers (peers: Obj, report: Report): void {
  const names = Object.keys(peers)
  const byDid = new Map<string, string>()
  for (const name of names) {
    const at = ['rtcp', 'peers', name]
    if (!PEER_NAME.test(name)) report(at, 'a peer name must be letters, digits, "_" or "-" (it is the host of rtcp:// URLs)', 'key')
    const peer = obj(peers[name])
    if (peer == null) continue
    list(peer.addrs).forEach((a, i) => {
      if (typeof a !== 'string' || a === '') return
      const hp = parseHostPort(a, 'dial')
      if (typeof hp === 'string') report([...at, 'addrs', String(i)], `${hp}, got ${JSON.stringify(a)}`)
    })
    if (typeof peer.did === 'string' && isDid(peer.did)) {
      const other = byDid.get(peer.did)
      if (other != null) report([...at, 'did'], `peer "${other}" has the same did; one device needs one name`)
      else byDid.set(peer.did, name)
    }
    if (typeof peer.via === 'string' && peer.via !== '') {
      if (peer.via === name) report([...at, 'via'], 'a peer cannot be reached via itself')
      else if (!Object.hasOwn(peers, peer.via)) report([...at, 'via'], unknownPeer(peer.via, names.filter(n => n !== name)))
      else if (list(obj(peers[peer.via])?.addrs).length === 0) report([...at, 'via'], `the relay peer "${peer.via}" has no addrs to dial`)
    }
    if (typeof peer.proxy === 'string') {
      if (!/^socks:\/\/[^/]+\/?$/.test(peer.proxy)) report([...at, 'proxy'], `must be socks://[user:pass@]host:port (no target: the peer's addrs are the target), got ${JSON.stringify(peer.proxy)}`)
      else if (list(peer.addrs).length === 0) report([...at, 'proxy'], 'a proxy is used to dial addrs, but this peer has none')
    }
    if (peer.keep === true && !canDial(peer)) report([...at, 'keep'], 'keep is true but the peer has no addrs and no via: it can never be dialed')
  }
}

function checkTrust (devices: unknown[], names: string[], report: Report): void {
  devices.forEach((d, i) => {
    if (typeof d !== 'string' || d === '') return
    const at = ['rtcp', 'trust', 'devices', String(i)]
    if (d.startsWith('did:')) {
      if (!isDid(d)) report(at, `must be a did:dev:<base64url> string or a peer name, got ${JSON.stringify(d)}`)
    } else if (!names.includes(d)) {
      report(at, unknownPeer(d, names))
    }
  })
}

function checkLimits (rtcp: Obj, report: Report): void {
  for (const l of RTCP_LIMITS) {
    if (l.kind === 'count') continue
    const [section, key] = l.key.split('.')
    const value = obj(rtcp[section])?.[key]
    const parsed = l.kind === 'duration' ? parseDuration(value) : parseSize(value)
    if (parsed === 0) report(['rtcp', section, key], `must be more than 0, got ${JSON.stringify(value)}`)
  }
  const reconnect = obj(rtcp.reconnect)
  const initial = parseDuration(reconnect?.initial)
  const max = parseDuration(reconnect?.max)
  if (initial != null && max != null && initial > max) {
    report(['rtcp', 'reconnect', 'initial'], `must not exceed reconnect.max (${String(reconnect?.max)}), got ${JSON.stringify(reconnect?.initial)}`)
  }
}

/**
 * Upstream kinds that exist only with a part of the process, mapped to how to get them: service://
 * is served by discovery (sysconfig:); internal:// by the process's own services (an SN's API, a
 * node's system_config and verify_hub).
 */
function unavailableSchemes (root: Obj, role: 'gateway' | 'sn'): Readonly<Record<string, string>> {
  const out: Record<string, string> = {}
  if (role !== 'gateway' || root.sysconfig == null) {
    out.service = 'service:// upstreams, kapi and app are found by service discovery: add a sysconfig: section (the zone\'s system-config)'
  }
  if (role === 'gateway' && obj(root.sysconfig)?.serve == null) {
    out.internal = 'internal:// upstreams are this process\'s own services (system_config, verify_hub): add sysconfig.serve, or use a tcp:// address'
  }
  return out
}

function checkStacks (stacks: unknown[], peers: Obj, unavailable: Readonly<Record<string, string>>, report: Report): void {
  const ids = new Set<string>()
  const listens = new Set<string>()
  stacks.forEach((s, i) => {
    const stack = obj(s)
    if (stack == null) return
    const at = ['stacks', String(i)]
    if (typeof stack.id === 'string') {
      if (ids.has(stack.id)) report([...at, 'id'], `duplicate stack id "${stack.id}"`)
      ids.add(stack.id)
    }
    if (typeof stack.listen === 'string' && stack.listen.includes('://')) {
      const why = tunnelListenProblem(stack.listen)
      if (why != null) report([...at, 'listen'], why)
      else if (listens.has(stack.listen)) report([...at, 'listen'], `another stack already listens on ${stack.listen}`)
      listens.add(stack.listen)
    } else if (typeof stack.listen === 'string' && stack.listen !== '') {
      const hp = parseHostPort(stack.listen, 'listen')
      if (typeof hp === 'string') report([...at, 'listen'], `${hp}, got ${JSON.stringify(stack.listen)}`)
      else if (hp.port !== 0 && listens.has(stack.listen)) report([...at, 'listen'], `another stack already listens on ${stack.listen}`)
      listens.add(stack.listen)
    }
    if (typeof stack.forward === 'string' && stack.forward !== '') {
      const problem = forwardProblem(stack.forward, peers, unavailable)
      if (problem != null) report([...at, 'forward'], problem)
    }
  })
}

/** Stacks listen on host:port (TCP) or on rtcp://local/<name>: streams peers open by name. */
function tunnelListenProblem (text: string): string | undefined {
  const m = /^rtcp:\/\/local\/([A-Za-z0-9][A-Za-z0-9_.-]*)$/.exec(text)
  return m == null ? `must be IP:port or rtcp://local/<name>, got ${JSON.stringify(text)}` : undefined
}

/** Why a stack's forward URL cannot work, or undefined when it can. */
export function forwardProblem (text: string, peers: Obj, unavailable: Readonly<Record<string, string>> = {}): string | undefined {
  let url: URL
  try {
    url = parseTunnelUrl(text)
  } catch {
    return `must be a tunnel URL such as "rtcp://home/:3000" or "tcp://127.0.0.1:3000", got ${JSON.stringify(text)}`
  }
  const scheme = url.protocol.slice(0, -1)
  if (!(FORWARD_SCHEMES as readonly string[]).includes(scheme)) {
    return `scheme "${scheme}" is not one of ${FORWARD_SCHEMES.join(', ')}`
  }
  if (Object.hasOwn(unavailable, scheme)) return unavailable[scheme]
  let target
  try {
    target = targetOf(url)
  } catch (err) {
    return (err as Error).message
  }
  if (scheme === 'tcp' || scheme === 'tls') {
    if (url.hostname === '' || url.port === '') return `a ${scheme} URL needs a host and port: ${scheme}://host:port, got ${JSON.stringify(text)}`
    return undefined
  }
  if (scheme === 'socks') {
    try {
      parseSocksUrl(url)
    } catch (err) {
      return `${(err as Error).message}; a socks URL reads socks://[user:pass@]proxy:port/host:port`
    }
    return undefined
  }
  if (scheme === 'rtcp') {
    if (target.kind === 'none') return `names nothing to reach on the peer; add a target such as /:3000, got ${JSON.stringify(text)}`
    let host: string
    try {
      host = decodeURIComponent(url.hostname)
    } catch {
      return `bad percent-encoding in the host of ${JSON.stringify(text)}`
    }
    if (host.startsWith('did:')) return isDid(host) ? undefined : `the host must be a peer name or a did:dev, got ${JSON.stringify(host)}`
    if (Object.hasOwn(peers, host)) {
      return canDial(obj(peers[host])) ? undefined : `peer "${host}" has no addrs and no via: it can never be reached`
    }
    if (isDid(`did:dev:${host}`)) return undefined
    return unknownPeer(host, Object.keys(peers))
  }
  return undefined
}
