// One proxied exchange: open (or reuse) an upstream stream, send the rewritten head, stream the
// request body while reading the response head (1xx relayed), then the response body; park the
// upstream stream for reuse when both sides allow it. A websocket (any Upgrade) answered with 101
// leaves HTTP mode and splices the two streams.
import type { Duplex } from 'node:stream'
import type { CompiledRoute, HttpProxySpec, UpstreamConnection, UpstreamConnector } from '../../types.ts'
import type { ResponseHead } from '../types.ts'
import { parseResponseHead, serializeRequestHead, serializeResponseHead } from '../head.ts'
import { responseFraming, wantsKeepAlive } from '../framing.ts'
import { splice } from '../../../tunnel/pipe.ts'
import { CHAIN_ERR_HTTP_UPSTREAM_CLOSED, CHAIN_ERR_HTTP_UPSTREAM_TIMEOUT, CHAIN_ERR_HTTP_UPSTREAM_UNREACHABLE } from './errors.ts'
import { readHead, relayBody, write } from './io.ts'
import { clientResponseHead, isUpgrade, upstreamRequestHead } from './rewrite.ts'
import { readerFor, type StreamReader } from './stream-reader.ts'
import { finish, sendError, type EngineContext, type Exchange, type Outcome } from './engine.ts'

/** Methods safe to send twice (RFC 9110 §9.2.2): retried once when a reused stream turned out stale. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])

const hostOfUrl = new Map<string, string>()
function upstreamHost (url: string): string {
  let h = hostOfUrl.get(url)
  if (h === undefined) {
    try { h = new URL(url).host } catch { h = url }
    if (hostOfUrl.size > 10_000) hostOfUrl.clear()
    hostOfUrl.set(url, h)
  }
  return h
}

function uncork (s: Duplex): void { s.uncork() }

function destinationOf (client: Duplex, port: number): { address: string, port: number } {
  const s = client as Duplex & { localAddress?: string, localPort?: number }
  return { address: s.localAddress ?? '0.0.0.0', port: s.localPort ?? port }
}

/** Body pump state: settled tells whether the request body has been fully sent. */
interface Pump { settled: boolean, failed: boolean, error?: unknown, moved: number, promise: Promise<void> }

function startPump (ex: Exchange, client: StreamReader, upstream: Duplex, idleMs: number): Pump {
  const pump: Pump = { settled: ex.framing.kind === 'none', failed: false, moved: 0, promise: Promise.resolve() }
  if (pump.settled) return pump
  pump.promise = relayBody(client, upstream, ex.framing, 'client', Infinity, idleMs).then(
    n => { pump.moved = n; pump.settled = true },
    (err: unknown) => {
      pump.error = err
      // The client vanished or sent a broken body: the upstream request can never complete.
      pump.failed = true; pump.settled = true
      upstream.destroy()
    }
  )
  return pump
}

/** For routes that choose the upstream per request (kapi, app): its connector and a last head edit. */
export interface ProxyVia {
  upstream: UpstreamConnector
  editHeaders?: (headers: Array<[string, string]>) => void
}

export async function proxyRequest (ctx: EngineContext, ex: Exchange, route: CompiledRoute, spec: HttpProxySpec, via?: ProxyVia): Promise<Outcome> {
  const { deps, pool, client } = ctx
  const { head, facts } = ex
  const upgrade = isUpgrade(head)
  const connector = via?.upstream ?? deps.upstream(route)
  const retryable = IDEMPOTENT.has(head.method) && ex.framing.kind === 'none'
  // A stream that began with a PROXY header speaks for the client that opened it: never pooled.
  const reuse = upgrade || spec.proxyProtocol != null ? undefined : (url: string): Duplex | undefined => pool.take(url)
  for (let attempt = 0; ; attempt++) {
    let up: UpstreamConnection
    try {
      up = await connector.connect({
        signal: ctx.signal,
        source: ctx.conn.source,
        destination: destinationOf(client, ctx.conn.localPort),
        reuse: attempt === 0 ? reuse : undefined
      })
    } catch (err) {
      const e = new CHAIN_ERR_HTTP_UPSTREAM_UNREACHABLE({ cause: err })
      deps.logger.warn({ err: e, route: route.spec.id }, 'no upstream reachable')
      return await failBeforeResponse(ctx, ex, route, e, undefined)
    }
    ex.log.upstream = up.url
    if (via !== undefined) {
      // service://<svc> names no instance; the stream discovery opened knows which one it reached.
      const remote = (up.stream as { remoteUrl?: unknown }).remoteUrl
      if (remote instanceof URL) ex.log.target = remote.href
    }
    const ur = readerFor(up.stream)
    const reqHead = upstreamRequestHead({ head, facts, conn: ctx.conn, spec, upgrade, upstreamHost: upstreamHost(up.url) })
    via?.editHeaders?.(reqHead.headers)
    const sentAt = performance.now()
    let pump: Pump | undefined
    let resp: ResponseHead | null
    try {
      up.stream.cork()
      process.nextTick(uncork, up.stream)
      const w = write(up.stream, serializeRequestHead(reqHead))
      pump = startPump(ex, ctx.reader, up.stream, ctx.limits.headTimeoutMs)
      if (w !== undefined) await w
      resp = await readResponseHead(ctx, ex, up, ur, spec)
    } catch (err) {
      resp = null
      if ((err as { httpStatus?: number }).httpStatus !== undefined) {
        // Timeout or a malformed head: the upstream's fault, answered with 504/502.
        up.report({ ok: false })
        up.stream.destroy()
        deps.logger.warn({ err, route: route.spec.id, upstream: up.url }, 'bad upstream response')
        return await failBeforeResponse(ctx, ex, route, err as Error, pump)
      }
      if (client.destroyed) { up.stream.destroy(); return 'destroyed' }
    }
    if (resp === null) {
      up.stream.destroy()
      if (pump?.failed === true) {
        // The client's fault, not the upstream's: a malformed chunked body gets its 400, a vanished client nothing.
        if ((pump.error as { httpStatus?: number }).httpStatus !== undefined && !client.destroyed) {
          return await sendError(ctx, route, pump.error, ex.log, ex.start, head.method, head.version, facts, false)
        }
        finish(ctx, ex)
        return 'destroyed'
      }
      // The upstream closed (or reset) before a response byte: a stale pooled stream, or a dead upstream.
      if (up.reused && retryable && attempt === 0) continue
      up.report({ ok: false })
      const e = new CHAIN_ERR_HTTP_UPSTREAM_CLOSED(up.url)
      deps.logger.warn({ err: e, route: route.spec.id }, 'upstream closed before responding')
      return await failBeforeResponse(ctx, ex, route, e, pump)
    }
    return await respond(ctx, ex, route, spec, up, ur, resp, pump as Pump, performance.now() - sentAt, upgrade)
  }
}

/** The final response head; interim 1xx heads (100-continue, 103) are relayed as they come. */
async function readResponseHead (ctx: EngineContext, ex: Exchange, up: UpstreamConnection, ur: StreamReader, spec: HttpProxySpec): Promise<ResponseHead | null> {
  const deadline = spec.responseTimeoutMs
  for (;;) {
    const r = await readHead(ur, parseResponseHead, {
      limits: { maxBytes: ctx.limits.maxHeadBytes },
      timeoutMs: deadline,
      peer: `upstream ${up.url}`,
      onTimeout: () => new CHAIN_ERR_HTTP_UPSTREAM_TIMEOUT(up.url, deadline)
    })
    if (r === null || r.status >= 200 || r.status === 101) return r
    const interim = serializeResponseHead(r)
    ex.log.bytesOut += interim.length
    const w = write(ctx.client, interim)
    if (w !== undefined) await w
  }
}

/** Answer an error while no response byte was written; the client is closed when the request body is still in flight. */
async function failBeforeResponse (ctx: EngineContext, ex: Exchange, route: CompiledRoute, err: Error, pump: Pump | undefined): Promise<Outcome> {
  const bodyDone = pump === undefined ? ex.framing.kind === 'none' : pump.settled && !pump.failed
  const outcome = await sendError(ctx, route, err, ex.log, ex.start, ex.head.method, ex.head.version, ex.facts, ex.clientKeep && bodyDone)
  return outcome
}

async function respond (
  ctx: EngineContext, ex: Exchange, route: CompiledRoute, spec: HttpProxySpec, up: UpstreamConnection,
  ur: StreamReader, resp: ResponseHead, pump: Pump, firstByteMs: number, upgrade: boolean
): Promise<Outcome> {
  const { client, deps, pool } = ctx
  const log = ex.log
  log.status = resp.status
  if (resp.status === 101) {
    if (!upgrade) {
      up.report({ ok: false }); up.stream.destroy()
      return await failBeforeResponse(ctx, ex, route, new CHAIN_ERR_HTTP_UPSTREAM_CLOSED(up.url), pump)
    }
    return await switchProtocols(ctx, ex, route, up, ur, resp, firstByteMs)
  }
  let framing
  try {
    framing = responseFraming(resp, ex.head.method)
  } catch (err) {
    up.report({ ok: false }); up.stream.destroy()
    deps.logger.warn({ err, route: route.spec.id, upstream: up.url }, 'bad upstream response framing')
    return await failBeforeResponse(ctx, ex, route, err as Error, pump)
  }
  const upKeep = !upgrade && wantsKeepAlive(resp.version, resp.headers) && framing.kind !== 'until_close'
  let clientKeep = ex.clientKeep && framing.kind !== 'until_close'
  // A response that ends before the request body was sent: keep neither side.
  if (!pump.settled && framing.kind === 'none') clientKeep = false
  const out = clientResponseHead(resp, clientKeep, ex.head.version)
  try {
    deps.filterResponse(route, out, ex.facts)
  } catch (err) {
    deps.logger.error({ err, route: route.spec.id }, 'response filter failed')
  }
  log.status = out.status
  try {
    const headBytes = serializeResponseHead(out)
    log.bytesOut += headBytes.length
    // Head and the body bytes already read go out in one write (uncorked after this tick).
    client.cork()
    process.nextTick(uncork, client)
    const w = write(client, headBytes)
    if (w !== undefined) await w
    log.bytesOut += await relayBody(ur, client, framing, `upstream ${up.url}`, Infinity, spec.responseTimeoutMs)
  } catch (err) {
    // Mid-response: nothing can be answered any more.
    up.report({ ok: false }); up.stream.destroy()
    log.error = (err as { code?: string }).code ?? 'ERR'
    deps.logger.info({ err, route: route.spec.id, upstream: up.url }, 'response relay failed')
    finish(ctx, ex)
    return 'destroyed'
  }
  up.report({ ok: true, firstByteMs })
  if (!pump.settled) {
    // The upstream answered without waiting for the whole request body (e.g. 413): the body
    // pump still owns the client reader, so this connection cannot carry another request.
    clientKeep = false
    up.stream.destroy()
  } else if (!pump.failed && upKeep && ur.usable && ur.buffered === 0 && spec.proxyProtocol == null) {
    pool.put(up.url, up.stream, spec.idleTimeoutMs)
  } else {
    up.stream.destroy()
  }
  log.bytesIn += pump.moved
  finish(ctx, ex)
  if (pump.failed) return 'destroyed'
  return clientKeep ? 'keep' : 'close'
}

/** 101 to an Upgrade request: relay the head, then the connection leaves HTTP mode (spliced both ways). */
async function switchProtocols (
  ctx: EngineContext, ex: Exchange, route: CompiledRoute, up: UpstreamConnection, ur: StreamReader, resp: ResponseHead, firstByteMs: number
): Promise<Outcome> {
  const { client, deps } = ctx
  const out = clientResponseHead(resp, true, ex.head.version)
  try {
    deps.filterResponse(route, out, ex.facts)
  } catch (err) {
    deps.logger.error({ err, route: route.spec.id }, 'response filter failed')
  }
  up.report({ ok: true, firstByteMs })
  const headBytes = serializeResponseHead(out)
  ex.log.bytesOut += headBytes.length
  finish(ctx, ex)
  // Bytes already read past the heads belong to the new protocol: hand them across first.
  const fromUpstream = ur.detach()
  const fromClient = ctx.reader.detach()
  try {
    await write(client, fromUpstream.length > 0 ? Buffer.concat([headBytes, fromUpstream]) : headBytes)
    if (fromClient.length > 0) await write(up.stream, fromClient)
  } catch {
    up.stream.destroy()
    return 'destroyed'
  }
  try {
    await splice(client, up.stream)
  } catch (err) {
    deps.logger.debug({ err, route: route.spec.id }, 'upgraded connection ended with an error')
  }
  return 'detached'
}
