// The HTTP/1 engine: parse only the head, route, then move body bytes unchanged. One request at a
// time per client connection; bytes of a pipelined next request stay in the client's reader.
//
//   read head (bounded, timed) → route → proxy | upgrade | local answer | drop | 421 → next request
//
// Every failure before a response byte maps to an answer carrying `x-zonegate-error: <code>`;
// after that the client connection is destroyed. serveHttp never rejects.
import type { Duplex } from 'node:stream'
import type { CompiledRoute, ConnFacts, HttpRequestFacts, HttpProxySpec, LocalResponse, ServiceDecision, UpstreamConnector, UpstreamGroupSpec } from '../../types.ts'
import type { BodyFraming, RequestHead, ResponseHead } from '../types.ts'
import type { Logger } from '../../../core/logger.ts'
import { headerValue, parseRequestHead, requestFacts } from '../head.ts'
import { requestFraming, wantsKeepAlive } from '../framing.ts'
import { CHAIN_ERR_HTTP_HEAD_TIMEOUT, CHAIN_ERR_HTTP_LOCAL_FAILED, CHAIN_ERR_HTTP_MISDIRECTED, CHAIN_ERR_HTTP_NO_ROUTE } from './errors.ts'
import { readHead, relayBody } from './io.ts'
import { reasonOf, writeAnswer } from './answer.ts'
import { readerFor, type StreamReader } from './stream-reader.ts'
import { createUpstreamPool, type UpstreamPool } from './pool.ts'
import { proxyRequest } from './proxy.ts'

export interface RequestLogEntry {
  route?: string
  upstream?: string
  /** kapi/app: the instance a service:// upstream was opened to (the tunnel stream's remoteUrl). */
  target?: string
  method: string
  host?: string
  path: string
  status: number
  bytesIn: number
  bytesOut: number
  ms: number
  error?: string
}

export interface HttpEngineDeps {
  /** The route for a request; the lead merges connection facts and request facts. */
  route (req: HttpRequestFacts): CompiledRoute | undefined
  /** The connector for a proxying route (built once per route by the lead). */
  upstream (route: CompiledRoute): UpstreamConnector
  /** Local answers for respond/redirect/serve/reject routes. */
  local (route: CompiledRoute, req: HttpRequestFacts, conn: ConnFacts): Promise<LocalResponse>
  /**
   * kapi/app routes: which service the request goes to (its own connector), or a local answer.
   * Throws a coded error with httpStatus for an answer like 400/404; anything else is a 500.
   */
  service? (route: CompiledRoute, req: HttpRequestFacts, conn: ConnFacts): Promise<ServiceDecision>
  /** Edit a response head in place before it is written (route's then chain's post_resp_filter). Also applied to local answers. */
  filterResponse (route: CompiledRoute | undefined, head: ResponseHead, req: HttpRequestFacts): void
  /** One call per request, for the access log. */
  onRequestDone (entry: RequestLogEntry): void
  logger: Logger
  /** Idle upstream streams; default: one pool shared by the whole process. */
  pool?: UpstreamPool
}

export interface HttpEngineLimits {
  maxHeadBytes: number
  /** Deadline for the first request's head; also the longest pause allowed inside a request body. */
  headTimeoutMs: number
  /** Deadline for the next request's head on a kept-alive connection. */
  idleTimeoutMs: number
}

export const DEFAULT_ENGINE_LIMITS: Readonly<HttpEngineLimits> = Object.freeze({ maxHeadBytes: 16 * 1024, headTimeoutMs: 30_000, idleTimeoutMs: 60_000 })

let sharedPool: UpstreamPool | undefined

const LINGER_MS = 5000

/** What became of the client connection after one request. */
export type Outcome = 'keep' | 'close' | 'detached' | 'destroyed'

/** Per-connection state shared by the request handlers. */
export interface EngineContext {
  client: Duplex
  reader: StreamReader
  conn: ConnFacts
  deps: HttpEngineDeps
  limits: HttpEngineLimits
  pool: UpstreamPool
  /** Aborted when the client connection closes (cancels upstream connects). */
  signal: AbortSignal
}

/** One request in flight: what the handlers know and what the access log gets. */
export interface Exchange {
  head: RequestHead
  facts: HttpRequestFacts
  framing: BodyFraming
  route?: CompiledRoute
  /** The client wants the connection kept (its version and Connection field). */
  clientKeep: boolean
  log: RequestLogEntry
  start: number
}

/** Serve HTTP/1 on `client` until it closes. `conn` are the connection's facts. Never rejects. */
export async function serveHttp (client: Duplex, conn: ConnFacts, deps: HttpEngineDeps, limits?: Partial<HttpEngineLimits>): Promise<void> {
  const abort = new AbortController()
  const onClose = (): void => abort.abort()
  client.once('close', onClose)
  const ctx: EngineContext = {
    client,
    reader: readerFor(client),
    conn,
    deps,
    limits: { ...DEFAULT_ENGINE_LIMITS, ...limits },
    pool: deps.pool ?? (sharedPool ??= createUpstreamPool()),
    signal: abort.signal
  }
  let outcome: Outcome = 'keep'
  try {
    for (let first = true; outcome === 'keep'; first = false) outcome = await serveOne(ctx, first)
  } catch (err) {
    // Handlers map their failures to outcomes; this is the last guard against a bug.
    deps.logger.error({ err }, 'http engine failed')
    outcome = 'destroyed'
  } finally {
    client.off('close', onClose)
  }
  if (outcome === 'close') {
    if (!client.destroyed) {
      client.end()
      // A client that never closes its side (or a request body still arriving) must not hold the
      // connection: once our bytes are flushed, give it LINGER_MS to close, then destroy.
      client.once('finish', () => { setTimeout(() => client.destroy(), LINGER_MS).unref() })
    }
  } else if (outcome === 'destroyed') {
    client.destroy()
  }
}

function isIdleTimeout (err: unknown): boolean {
  return (err as { idle?: boolean } | null)?.idle === true
}

async function serveOne (ctx: EngineContext, first: boolean): Promise<Outcome> {
  const { reader, limits, deps } = ctx
  const timeoutMs = first ? limits.headTimeoutMs : limits.idleTimeoutMs
  let head: RequestHead | null
  const start = performance.now()
  try {
    head = await readHead(reader, parseRequestHead, {
      limits: { maxBytes: limits.maxHeadBytes },
      timeoutMs,
      peer: 'client',
      onTimeout: (got) => Object.assign(new CHAIN_ERR_HTTP_HEAD_TIMEOUT(timeoutMs), { idle: !got })
    })
  } catch (err) {
    if (isIdleTimeout(err)) return 'close'
    if ((err as { httpStatus?: number }).httpStatus === undefined) return 'destroyed' // the socket failed
    deps.logger.info({ err, source: ctx.conn.source }, 'bad request head')
    const log: RequestLogEntry = { method: '-', path: '-', status: 0, bytesIn: 0, bytesOut: 0, ms: 0 }
    await sendError(ctx, undefined, err, log, start, 'GET', 11)
    return 'close'
  }
  if (head === null) return 'close'
  const log: RequestLogEntry = { method: head.method, path: head.target, status: 0, bytesIn: head.bytes, bytesOut: 0, ms: 0 }
  let facts: HttpRequestFacts
  let framing: BodyFraming
  try {
    facts = requestFacts(head)
    framing = requestFraming(head)
  } catch (err) {
    deps.logger.info({ err, source: ctx.conn.source }, 'bad request')
    await sendError(ctx, undefined, err, log, start, head.method, head.version)
    return 'close'
  }
  log.path = facts.path
  log.host = facts.host
  const ex: Exchange = { head, facts, framing, clientKeep: wantsKeepAlive(head.version, head.headers), log, start }
  let route: CompiledRoute | undefined
  try {
    route = deps.route(facts)
  } catch (err) {
    deps.logger.error({ err }, 'route lookup failed')
    return await answerLocally(ctx, ex, undefined, new CHAIN_ERR_HTTP_LOCAL_FAILED('lookup', { cause: err }))
  }
  ex.route = route
  if (route === undefined) {
    const err = new CHAIN_ERR_HTTP_NO_ROUTE(facts.host ?? '(no host)')
    deps.logger.debug({ err, host: facts.host, path: facts.path }, 'no route')
    return await answerLocally(ctx, ex, undefined, err)
  }
  log.route = route.spec.id
  const p = route.spec.process
  switch (p.kind) {
    case 'http_proxy':
      return await proxyRequest(ctx, ex, route, p.proxy)
    case 'forward':
      return await proxyRequest(ctx, ex, route, forwardSpec(p.group))
    case 'kapi':
    case 'app':
      return await serveService(ctx, ex, route)
    case 'drop':
      log.status = 0
      finish(ctx, ex)
      return 'destroyed'
    case 'zone':
    case 'tls_terminate': {
      // A zone takes whole connections: a later request on a kept-alive connection that belongs
      // to a zone is sent back (421) so the client retries on a connection of its own.
      const err = new CHAIN_ERR_HTTP_MISDIRECTED(route.spec.id)
      deps.logger.warn({ err, route: route.spec.id }, 'a route taking whole connections matched a request in HTTP mode')
      return await answerLocally(ctx, ex, route, err)
    }
    default: {
      let res: LocalResponse
      try {
        res = await deps.local(route, facts, ctx.conn)
      } catch (err) {
        deps.logger.error({ err, route: route.spec.id }, 'local answer failed')
        return await answerLocally(ctx, ex, route, new CHAIN_ERR_HTTP_LOCAL_FAILED(route.spec.id, { cause: err }))
      }
      return await answerLocally(ctx, ex, route, res)
    }
  }
}

/** A route whose upstream is chosen per request (kapi, app): proxy where it says, or answer here. */
async function serveService (ctx: EngineContext, ex: Exchange, route: CompiledRoute): Promise<Outcome> {
  const { deps } = ctx
  let d: ServiceDecision
  try {
    if (deps.service === undefined) throw new CHAIN_ERR_HTTP_LOCAL_FAILED(route.spec.id)
    d = await deps.service(route, ex.facts, ctx.conn)
  } catch (err) {
    const status = (err as { httpStatus?: unknown }).httpStatus
    if (typeof status === 'number') {
      // A client's mistake (400, 404) is routine; a registry or verifier failing (5xx) is not.
      const fields = { err, route: route.spec.id, host: ex.facts.host, path: ex.facts.path }
      if (status >= 500) deps.logger.warn(fields, 'service request failed')
      else deps.logger.debug(fields, 'service request refused')
      return await answerLocally(ctx, ex, route, err as Error)
    }
    deps.logger.error({ err, route: route.spec.id }, 'service decision failed')
    return await answerLocally(ctx, ex, route, new CHAIN_ERR_HTTP_LOCAL_FAILED(route.spec.id, { cause: err }))
  }
  if (d.kind === 'answer') return await answerLocally(ctx, ex, route, d.response)
  return await proxyRequest(ctx, ex, route, d.spec, d)
}

const forwardSpecs = new WeakMap<object, HttpProxySpec>()

/** A forward route in HTTP mode proxies with default settings. */
function forwardSpec (group: UpstreamGroupSpec): HttpProxySpec {
  let spec = forwardSpecs.get(group)
  if (spec === undefined) {
    spec = { rewrite: {}, setRequestHeaders: {}, removeRequestHeaders: [], xForwarded: true, preserveHost: true, idleTimeoutMs: 60_000, responseTimeoutMs: 60_000, ...group }
    forwardSpecs.set(group, spec)
  }
  return spec
}

/** Bodies up to this size are read and dropped after a local answer so the connection stays usable. */
const MAX_DRAIN_BYTES = 64 * 1024

/** Answer without an upstream (a LocalResponse or an error), then drain a small request body or close. */
async function answerLocally (ctx: EngineContext, ex: Exchange, route: CompiledRoute | undefined, res: LocalResponse | Error): Promise<Outcome> {
  const { framing } = ex
  // A chunked body of unknown size is drained up to the same bound, else the connection closes.
  const drainable = framing.kind !== 'length' || framing.length <= MAX_DRAIN_BYTES
  // A client waiting for 100-continue never sends the body after a final answer: close instead.
  const expectsContinue = framing.kind !== 'none' && headerValue(ex.head.headers, 'expect')?.toLowerCase() === '100-continue'
  const keep = ex.clientKeep && drainable && !expectsContinue
  let outcome: Outcome
  if (res instanceof Error) {
    outcome = await sendError(ctx, route, res, ex.log, ex.start, ex.head.method, ex.head.version, ex.facts, keep)
  } else {
    try {
      const r = await writeAnswer(ctx.client, {
        status: res.status,
        headers: res.headers,
        body: res.body,
        length: res.length,
        method: ex.head.method,
        clientVersion: ex.head.version,
        keepAlive: keep,
        filter: head => ctx.deps.filterResponse(route, head, ex.facts)
      })
      ex.log.status = res.status
      ex.log.bytesOut += r.bytes
      outcome = r.keepAlive ? 'keep' : 'close'
    } catch (err) {
      ex.log.error = (err as { code?: string }).code ?? 'ERR'
      outcome = 'destroyed'
    }
    finish(ctx, ex)
  }
  if (outcome === 'keep' && framing.kind !== 'none') {
    try {
      const n = await relayBody(ctx.reader, undefined, framing, 'client', MAX_DRAIN_BYTES, ctx.limits.headTimeoutMs)
      if (n < 0) return 'close'
      ex.log.bytesIn += n
    } catch {
      return 'destroyed'
    }
  }
  return outcome
}

/** Write an error answer (status from err.httpStatus, code in x-zonegate-error) and log the request. */
export async function sendError (
  ctx: EngineContext, route: CompiledRoute | undefined, err: unknown, log: RequestLogEntry, start: number,
  method: string, version: 10 | 11, facts?: HttpRequestFacts, keepAlive = false
): Promise<Outcome> {
  const e = err as { httpStatus?: number, code?: string }
  const status = e.httpStatus ?? 502
  const code = e.code ?? 'CHAIN_ERR_HTTP_INTERNAL'
  log.status = status
  log.error = code
  let outcome: Outcome
  try {
    const r = await writeAnswer(ctx.client, {
      status,
      headers: [['Content-Type', 'text/plain; charset=utf-8'], ['X-Zonegate-Error', code]],
      body: Buffer.from(`${status} ${reasonOf(status)}\nerror: ${code}\n`),
      method,
      clientVersion: version,
      keepAlive,
      filter: facts === undefined ? undefined : head => ctx.deps.filterResponse(route, head, facts)
    })
    log.bytesOut += r.bytes
    outcome = r.keepAlive ? 'keep' : 'close'
  } catch {
    outcome = 'destroyed'
  }
  log.ms = performance.now() - start
  ctx.deps.onRequestDone(log)
  return outcome
}

/** Close the exchange's access-log entry. */
export function finish (ctx: EngineContext, ex: Exchange): void {
  ex.log.ms = performance.now() - ex.start
  ctx.deps.onRequestDone(ex.log)
}
