// The service:// tunnel kind: service://<svc>/ or service://<svc>/<portName> (the spelling
// service://<svc>:<portName>/ parses as a URL only when the port name is numeric, so the path
// form is the general one). open() asks the resolver for candidates (local first, then remote
// ones in weighted random order) and opens them through the registry one after the other until
// one connects: failover happens only before any byte flows, since a stream is handed out only
// once its connect succeeded. A candidate that failed is skipped for a cooldown (passive
// health) unless nothing else is left.
import type { Logger } from '../core/logger.ts'
import type { Tunnel, TunnelListener, TunnelStream, OpenOptions } from '../tunnel/types.ts'
import { TUN_ERR_ABORTED, TUN_ERR_CONNECT_TIMEOUT, TUN_ERR_NOT_SUPPORTED } from '../tunnel/errors.ts'
import { SVC_ERR_ALL_FAILED, SVC_ERR_BAD_URL, SVC_ERR_NO_INSTANCE } from './errors.ts'
import { isPortName, isServiceName } from './records.ts'
import type { Candidate, ServiceResolver } from './resolver.ts'

export interface ServiceTunnelInit {
  resolver: Pick<ServiceResolver, 'resolve'>
  /** Opens tcp:// and rtcp:// URLs: the registry's open. */
  open: (url: string, options: { signal: AbortSignal }) => Promise<TunnelStream>
  logger: Logger
  /** Per candidate. Default 5 s. */
  connectTimeoutMs?: number
  /** How long a failed instance is skipped. Default 10 s. */
  cooldownMs?: number
  /** Monotonic ms (performance.now by default). */
  now?: () => number
}

export interface ServiceAddress { service: string, portName?: string }

/** Entries kept for passive health; beyond this the oldest are forgotten. */
const MAX_HEALTH_ENTRIES = 4096

export function parseServiceUrl (input: string | URL): ServiceAddress {
  const text = String(input)
  let url: URL
  try {
    url = input instanceof URL ? input : new URL(text)
  } catch {
    // service://web:http/ is not a URL (a port must be digits); accept that spelling here.
    const m = /^service:\/\/([^/:@?#]+):([^/:@?#]+)\/?$/.exec(text)
    if (m != null && isServiceName(m[1]) && isPortName(m[2])) return { service: m[1], portName: m[2] }
    throw new SVC_ERR_BAD_URL(text, 'not a URL')
  }
  if (url.protocol !== 'service:') throw new SVC_ERR_BAD_URL(text, 'the scheme must be service:')
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') throw new SVC_ERR_BAD_URL(text, 'no credentials, query or fragment allowed')
  if (!isServiceName(url.hostname)) throw new SVC_ERR_BAD_URL(text, 'the host must be a service name ([a-z0-9][a-z0-9_-]*)')
  const path = url.pathname === '/' ? '' : url.pathname.slice(1)
  if (path !== '' && url.port !== '') throw new SVC_ERR_BAD_URL(text, 'name the port either after ":" or as the path, not both')
  const portName = path !== '' ? path : url.port !== '' ? url.port : undefined
  if (portName !== undefined && !isPortName(portName)) throw new SVC_ERR_BAD_URL(text, `bad port name "${portName}"`)
  return portName === undefined ? { service: url.hostname } : { service: url.hostname, portName }
}

export function serviceTunnel (init: ServiceTunnelInit): Tunnel {
  const log = init.logger.child({ mod: 'tunnel.service' })
  const timeoutMs = init.connectTimeoutMs ?? 5000
  const cooldownMs = init.cooldownMs ?? 10_000
  const now = init.now ?? (() => performance.now())
  /** url → until when it is skipped. */
  const down = new Map<string, number>()

  function healthy (c: Candidate, t: number): boolean {
    const until = down.get(c.url)
    if (until === undefined) return true
    if (t < until) return false
    down.delete(c.url)
    return true
  }

  function markDown (url: string): void {
    down.delete(url) // re-insert: the map's order is the order entries are forgotten
    down.set(url, now() + cooldownMs)
    if (down.size > MAX_HEALTH_ENTRIES) down.delete(down.keys().next().value as string)
  }

  async function attempt (url: string, signal: AbortSignal): Promise<TunnelStream> {
    const timeout = new AbortController()
    const timer = setTimeout(() => timeout.abort(new TUN_ERR_CONNECT_TIMEOUT(url, timeoutMs)), timeoutMs)
    const both = AbortSignal.any([signal, timeout.signal])
    try {
      return await new Promise<TunnelStream>((resolve, reject) => {
        // Bounded even if a kind were slow to honour the signal; a late stream is not leaked.
        let settled = false
        const onAbort = (): void => { if (!settled) { settled = true; reject(both.reason) } }
        both.addEventListener('abort', onAbort, { once: true })
        init.open(url, { signal: both }).then(stream => {
          both.removeEventListener('abort', onAbort)
          if (settled) stream.destroy()
          else { settled = true; resolve(stream) }
        }, (err: unknown) => {
          both.removeEventListener('abort', onAbort)
          if (!settled) { settled = true; reject(err) }
        })
      })
    } catch (err) {
      if (timeout.signal.aborted && !signal.aborted) throw timeout.signal.reason
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  return {
    scheme: 'service',
    async open (url: URL, { signal }: OpenOptions): Promise<TunnelStream> {
      const { service, portName } = parseServiceUrl(url)
      const port = portName ?? '(default)'
      const all = init.resolver.resolve(service, portName)
      if (all.length === 0) throw new SVC_ERR_NO_INSTANCE(service, port)
      const t = now()
      // Rank order kept; instances in cooldown go last rather than away.
      const ordered = [...all.filter(c => healthy(c, t)), ...all.filter(c => !healthy(c, t))]
      const failures: string[] = []
      const errors: unknown[] = []
      for (const c of ordered) {
        if (signal.aborted) throw new TUN_ERR_ABORTED(url.href, { cause: signal.reason })
        try {
          const stream = await attempt(c.url, signal)
          down.delete(c.url)
          log.debug({ service, node: c.node, target: c.url }, 'service stream opened')
          return stream
        } catch (err) {
          if (signal.aborted) throw new TUN_ERR_ABORTED(url.href, { cause: signal.reason })
          const code = (err as { code?: unknown } | null)?.code
          failures.push(`${c.url}: ${typeof code === 'string' ? code : (err as Error)?.message ?? String(err)}`)
          errors.push(err)
          markDown(c.url)
          log.info({ service, node: c.node, target: c.url, err }, 'service instance failed; trying the next')
        }
      }
      const list = failures.join('; ')
      throw new SVC_ERR_ALL_FAILED(service, ordered.length, list, { cause: new AggregateError(errors, list) })
    },
    async listen (url: URL): Promise<TunnelListener> {
      throw new TUN_ERR_NOT_SUPPORTED('service://', `listen (${url.href}): instances listen on their own ports and announce them`)
    }
  }
}
