// An upstream group: picks an upstream (balancing), opens a stream to it within connectTimeoutMs,
// moves on to the next upstream when that fails (failover, only before any byte flows), keeps
// passive health from connect failures and reports, and writes a PROXY header when configured.
import type { Duplex } from 'node:stream'
import type { Logger } from '../../core/logger.ts'
import { TUN_ERR_ABORTED, TUN_ERR_CONNECT_TIMEOUT } from '../../tunnel/errors.ts'
import type { ConnectOptions, UpstreamConnection, UpstreamConnector, UpstreamGroupSpec } from '../types.ts'
import { createBalancer, type Random } from './balancers.ts'
import { CHAIN_ERR_UPSTREAM_EMPTY, CHAIN_ERR_UPSTREAM_UNAVAILABLE } from './errors.ts'
import { proxyHeader } from './proxy-header.ts'
import { UpstreamState } from './upstream-state.ts'

export interface UpstreamDeps {
  /** Opens a tunnel URL (the lead passes TunnelRegistry.open from src/tunnel/registry.ts). */
  open (url: string, options: { signal: AbortSignal }): Promise<Duplex>
  logger: Logger
  /** Injectable clock in ms (performance.now by default) for tests. */
  now?: () => number
  /** Injectable RNG for `random` balancing (Math.random by default) for tests. */
  random?: Random
}

export interface UpstreamSnapshot {
  url: string
  weight: number
  healthy: boolean
  failures: number
  active: number
  ewmaMs?: number
}

export interface UpstreamGroup extends UpstreamConnector {
  /** Health and load per upstream, for `zonegate status` and tests. */
  snapshot (): UpstreamSnapshot[]
}

/** One failed attempt, as listed on CHAIN_ERR_UPSTREAM_UNAVAILABLE's `attempts`. */
export interface UpstreamAttemptFailure { url: string, code: string, message: string }

function codeOf (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'ERR_UNKNOWN'
}

/**
 * deps.open(), bounded by `signal` even if the tunnel kind were slow to honour it; a stream that
 * arrives after the abort is destroyed rather than leaked.
 */
export function openWithin (deps: UpstreamDeps, url: string, signal: AbortSignal): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let settled = false
    const onAbort = (): void => { if (!settled) { settled = true; reject(signal.reason) } }
    signal.addEventListener('abort', onAbort, { once: true })
    deps.open(url, { signal }).then(stream => {
      signal.removeEventListener('abort', onAbort)
      if (settled) stream.destroy()
      else { settled = true; resolve(stream) }
    }, (err: unknown) => {
      signal.removeEventListener('abort', onAbort)
      if (!settled) { settled = true; reject(err) }
    })
  })
}

export function createUpstreamGroup (spec: UpstreamGroupSpec, deps: UpstreamDeps): UpstreamGroup {
  if (spec.upstreams.length === 0) throw new CHAIN_ERR_UPSTREAM_EMPTY()
  // The lead may hand in a logger already bound to this module (with chain and route): no second mod.
  const log = deps.logger.bindings().mod != null ? deps.logger : deps.logger.child({ mod: 'chain.upstream' })
  const now = deps.now ?? (() => performance.now())
  const balancer = createBalancer(spec.balance, deps.random)
  const states = spec.upstreams.map((u, i) => new UpstreamState(u.url, u.weight, i))
  const maxTries = Math.max(1, Math.min(spec.tries, states.length))

  function fail (state: UpstreamState, why: string): void {
    if (state.recordFailure(now(), spec.health)) {
      log.warn({ upstream: state.url, failures: state.failures, cooldownMs: spec.health.cooldownMs, why }, 'upstream marked down')
    }
  }

  /** Active is counted from the attempt on, so concurrent connects already spread out. */
  function track (state: UpstreamState, stream: Duplex): void {
    if (stream.closed || stream.destroyed) { state.active--; return }
    stream.once('close', () => { state.active-- })
  }

  function connection (state: UpstreamState, stream: Duplex, reused: boolean): UpstreamConnection {
    let reported = false
    return {
      stream,
      url: state.url,
      reused,
      report (outcome) {
        if (reported) return
        reported = true
        if (outcome.ok) state.recordSuccess(outcome.firstByteMs)
        else fail(state, 'reported failure')
      }
    }
  }

  async function attempt (state: UpstreamState, signal: AbortSignal): Promise<Duplex> {
    const timeout = new AbortController()
    const timer = setTimeout(() => timeout.abort(new TUN_ERR_CONNECT_TIMEOUT(state.url, spec.connectTimeoutMs)), spec.connectTimeoutMs)
    const started = now()
    try {
      const stream = await openWithin(deps, state.url, AbortSignal.any([signal, timeout.signal]))
      state.recordConnectTime(now() - started)
      return stream
    } catch (err) {
      // The tunnel reports our timer's abort as its own TUN_ERR_ABORTED; name it for what it was.
      if (timeout.signal.aborted && !signal.aborted) throw timeout.signal.reason
      throw err
    } finally {
      clearTimeout(timer)
    }
  }

  async function connect (options: ConnectOptions): Promise<UpstreamConnection> {
    const { signal } = options
    const tried = new Set<UpstreamState>()
    const failures: UpstreamAttemptFailure[] = []
    const errors: unknown[] = []
    while (tried.size < maxTries) {
      if (signal.aborted) throw new TUN_ERR_ABORTED('an upstream of the group', { cause: signal.reason })
      // Healthy upstreams first; when none is left, the down ones still get their chance
      // (best effort) rather than failing the client without trying.
      const untried = states.filter(s => !tried.has(s))
      const t = now()
      const healthy = untried.filter(s => s.healthy(t, spec.health))
      const state = balancer.pick(healthy.length > 0 ? healthy : untried, options.source.address)
      tried.add(state)

      const pooled = options.reuse?.(state.url)
      if (pooled != null) {
        state.active++
        track(state, pooled)
        return connection(state, pooled, true)
      }

      state.active++
      let stream: Duplex
      try {
        stream = await attempt(state, signal)
      } catch (err) {
        state.active--
        if (signal.aborted) throw new TUN_ERR_ABORTED(state.url, { cause: signal.reason })
        fail(state, codeOf(err))
        failures.push({ url: state.url, code: codeOf(err), message: (err as Error).message })
        errors.push(err)
        log.debug({ upstream: state.url, err }, 'upstream connect failed')
        continue
      }
      track(state, stream)
      // Written before anyone else can write, so the header is the first thing the upstream reads.
      if (spec.proxyProtocol != null) stream.write(proxyHeader(spec.proxyProtocol, options.source, options.destination))
      return connection(state, stream, false)
    }
    const list = failures.map(f => `${f.url}: ${f.code}`).join('; ')
    throw Object.assign(
      new CHAIN_ERR_UPSTREAM_UNAVAILABLE(failures.length, list, { cause: new AggregateError(errors, list) }),
      { attempts: failures }
    )
  }

  return {
    connect,
    snapshot () {
      const t = now()
      return states.map(s => ({
        url: s.url,
        weight: s.weight,
        healthy: s.healthy(t, spec.health),
        failures: s.failures,
        active: s.active,
        ...(s.ewmaMs !== undefined ? { ewmaMs: s.ewmaMs } : {})
      }))
    }
  }
}
