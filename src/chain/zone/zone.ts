// The `zone` action: SN public ingress. The connection goes, as bytes, to the zone its server name
// belongs to — the SNI for TLS (passthrough: the SN never decrypts a zone's traffic), the Host of
// the first request for plain HTTP. The zone registry (ChainDeps.zones) names the zone's upstreams
// in preference order (an rtcp tunnel per live device, or a directly reachable address); they are
// tried in that order until one opens, before any byte flows. Then an optional PROXY header with
// the real client goes first, and the probed bytes (unshift()-ed back by the probe stage) follow,
// so the zone sees the connection from its first byte.
//
// Failures before any byte went to the zone: TLS clients get a reset (there is no certificate to
// answer with), HTTP clients a coded answer (404 unknown zone, 502 unreachable, 400 no Host).
import type { Duplex } from 'node:stream'
import type { Logger } from '../../core/logger.ts'
import type { AddressFacts, ConnFacts, UpstreamConnection, ZoneSpec } from '../types.ts'
import { TUN_ERR_ABORTED, TUN_ERR_CONNECT_TIMEOUT } from '../../tunnel/errors.ts'
import { resetStream } from '../../tunnel/pipe.ts'
import { openWithin } from '../upstream/group.ts'
import { proxyHeader } from '../upstream/proxy-header.ts'
import { describeError, forwardConnection } from '../upstream/forward.ts'
import { reasonOf, writeAnswer } from '../http/proxy/answer.ts'
import { CHAIN_ERR_ZONE_NO_NAME, CHAIN_ERR_ZONE_UNKNOWN, CHAIN_ERR_ZONE_UNREACHABLE } from './errors.ts'

/** The zone registry as the chain sees it (the SN implements it over its registry). */
export interface ZoneResolver {
  /**
   * Upstream URLs of the zone `hostname` belongs to, in preference order (e.g. rtcp://<did>/https
   * for each device with a live tunnel, tcp://<ip>:<port> for a directly reachable zone); [] when
   * the zone is known but nothing of it is reachable; undefined when no zone has this name.
   * `target` is the route's zone.target ("https", "http"): what to reach inside the zone.
   */
  resolve (hostname: string, target: string): readonly string[] | undefined
}

export interface ZoneDeps {
  resolver: ZoneResolver
  open (url: string, options: { signal: AbortSignal }): Promise<Duplex>
  logger: Logger
  /** Aborted when the gateway stops. */
  signal: AbortSignal
  /** The address the client connected to, for the PROXY header. */
  destination: AddressFacts
}

export interface ZoneResult {
  /** The server name the zone was looked up by. */
  name?: string
  upstream?: string
  bytesIn: number
  bytesOut: number
  error?: { code: string, message: string }
}

/** The name a connection is routed by, and how it can be answered when that fails. */
function nameOf (facts: ConnFacts): { mode: 'tls' | 'http' | 'other', name?: string } {
  // "alice.test." is the same name as "alice.test" (an absolute name); the registry knows the latter.
  const clean = (n: string | undefined): { name?: string } => {
    const name = n?.toLowerCase().replace(/\.$/, '')
    return name != null && name !== '' ? { name } : {}
  }
  if (facts.tls != null) return { mode: 'tls', ...clean(facts.tls.sni) }
  if (facts.http != null) return { mode: 'http', ...clean(facts.http.host) }
  return { mode: 'other' }
}

/** Run the zone action on `client` (the caller keeps an 'error' listener on it); never rejects. */
export async function runZone (client: Duplex, facts: ConnFacts, spec: ZoneSpec, deps: ZoneDeps): Promise<ZoneResult> {
  const { mode, name } = nameOf(facts)
  const fail = async (err: Error): Promise<ZoneResult> => {
    await refuse(client, facts, mode, err)
    return { ...(name != null ? { name } : {}), bytesIn: 0, bytesOut: 0, error: describeError(err) }
  }
  if (name == null) return await fail(new CHAIN_ERR_ZONE_NO_NAME(mode === 'tls' ? 'a ClientHello without SNI' : mode === 'http' ? 'a request without Host' : 'neither TLS nor HTTP'))
  let urls: readonly string[] | undefined
  try {
    urls = deps.resolver.resolve(name, spec.target)
  } catch (err) {
    deps.logger.error({ err, name }, 'zone lookup failed')
    return await fail(new CHAIN_ERR_ZONE_UNREACHABLE(name, 'the zone lookup failed', { cause: err }))
  }
  if (urls == null) return await fail(new CHAIN_ERR_ZONE_UNKNOWN(name))
  if (urls.length === 0) return await fail(new CHAIN_ERR_ZONE_UNREACHABLE(name, 'no device of the zone is reachable'))

  // A client that goes away while we connect aborts the connect instead of leaving an orphan.
  const gone = new AbortController()
  const onClose = (): void => gone.abort(new TUN_ERR_ABORTED('client connection closed'))
  client.once('close', onClose)
  let conn: UpstreamConnection
  try {
    conn = await connectInOrder(urls, name, spec, facts, AbortSignal.any([deps.signal, gone.signal]), deps)
  } catch (err) {
    if (gone.signal.aborted || deps.signal.aborted) {
      resetStream(client)
      return { name, bytesIn: 0, bytesOut: 0, error: describeError(err) }
    }
    return await fail(err as Error)
  } finally {
    client.off('close', onClose)
  }
  // forward.ts does the splice, the accounting and the abort handling; the stream is open already.
  const r = await forwardConnection(client, { connect: async () => conn }, { signal: deps.signal, source: facts.source, destination: deps.destination })
  return { name, ...r }
}

/** Open the zone's upstreams in order until one works; write the PROXY header first on it. */
async function connectInOrder (urls: readonly string[], name: string, spec: ZoneSpec, facts: ConnFacts, signal: AbortSignal, deps: ZoneDeps): Promise<UpstreamConnection> {
  // Encoded before any open: an address the header cannot carry fails the connection, not an upstream.
  const header = spec.proxyProtocol != null ? proxyHeader(spec.proxyProtocol, facts.source, deps.destination) : undefined
  const failures: string[] = []
  for (const url of urls) {
    if (signal.aborted) throw new TUN_ERR_ABORTED(url, { cause: signal.reason })
    const timeout = new AbortController()
    const timer = setTimeout(() => timeout.abort(new TUN_ERR_CONNECT_TIMEOUT(url, spec.connectTimeoutMs)), spec.connectTimeoutMs)
    try {
      const stream = await openWithin({ open: deps.open, logger: deps.logger }, url, AbortSignal.any([signal, timeout.signal]))
      if (header != null) stream.write(header)
      return { stream, url, reused: false, report () {} }
    } catch (err) {
      if (signal.aborted) throw new TUN_ERR_ABORTED(url, { cause: signal.reason })
      const e = timeout.signal.aborted ? timeout.signal.reason : err
      failures.push(`${url}: ${describeError(e).code}`)
      deps.logger.debug({ upstream: url, zone: name, err: e }, 'zone upstream connect failed')
    } finally {
      clearTimeout(timer)
    }
  }
  throw new CHAIN_ERR_ZONE_UNREACHABLE(name, failures.join('; '))
}

/** TLS and unknown protocols: reset. HTTP: a coded answer, then close. */
async function refuse (client: Duplex, facts: ConnFacts, mode: 'tls' | 'http' | 'other', err: Error): Promise<void> {
  if (mode !== 'http' || facts.http == null || client.destroyed) {
    resetStream(client)
    return
  }
  const e = err as Error & { httpStatus?: number, code?: string }
  const status = e.httpStatus ?? 502
  const code = e.code ?? 'CHAIN_ERR_ZONE_UNREACHABLE'
  try {
    await writeAnswer(client, {
      status,
      headers: [['Content-Type', 'text/plain; charset=utf-8'], ['X-Zonegate-Error', code]],
      body: Buffer.from(`${status} ${reasonOf(status)}\nerror: ${code}\n`),
      method: facts.http.method,
      clientVersion: facts.http.version,
      keepAlive: false
    })
  } catch {
    resetStream(client)
    return
  }
  // The request (and whatever follows) stays unread: FIN after the answer, then let go.
  client.end()
  client.resume()
  setTimeout(() => client.destroy(), 1000).unref()
}
