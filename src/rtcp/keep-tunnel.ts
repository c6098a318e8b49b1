// Keep a tunnel to one peer up forever: dial, ping on an interval with its own timeout, and on
// loss reconnect with capped exponential backoff and jitter. Never gives up; stop() ends it.
import type { Connection } from '@libp2p/interface'
import type { Logger } from '../core/logger.ts'
import type { RtcpKeepalive, RtcpReconnect } from '../config/types.ts'
import type { KnownPeer } from './peer-book.ts'
import type { RtcpNode } from './node.ts'
import { RTCP_ERR_PING_TIMEOUT } from './errors.ts'
import { sleep } from '../core/sleep.ts'

export type KeepState = 'connecting' | 'up' | 'backoff' | 'stopped'

export interface KeepTunnelInit {
  node: RtcpNode
  peer: KnownPeer
  keepalive: RtcpKeepalive
  reconnect: RtcpReconnect
  logger: Logger
  random?: () => number
}

/** Delay before reconnect attempt `n` (0-based): initial·2ⁿ capped at max, ±20% jitter. */
export function backoffDelay (n: number, r: RtcpReconnect, random: () => number = Math.random): number {
  const base = Math.min(r.maxMs, r.initialMs * 2 ** Math.min(n, 30))
  return Math.round(base * (0.8 + 0.4 * random()))
}

export class KeepTunnel {
  state: KeepState = 'connecting'
  /** Successful (re)connections so far. */
  connects = 0
  lastRttMs: number | null = null
  readonly #init: KeepTunnelInit
  readonly #log: Logger
  readonly #stop = new AbortController()
  #loop: Promise<void> | null = null

  constructor (init: KeepTunnelInit) {
    this.#init = init
    this.#log = init.logger.child({ mod: 'rtcp.keep_tunnel', peer: init.peer.name })
  }

  start (): void {
    this.#loop ??= this.#run()
  }

  async stop (): Promise<void> {
    this.state = 'stopped'
    this.#stop.abort()
    await this.#loop
  }

  async #run (): Promise<void> {
    const { node, peer, reconnect } = this.#init
    let attempt = 0
    while (!this.#stop.signal.aborted) {
      this.state = 'connecting'
      try {
        const conn = await node.connect(peer, this.#stop.signal)
        attempt = 0
        this.connects++
        this.state = 'up'
        this.#log.info({ remote: conn.remoteAddr.toString(), connects: this.connects }, 'keep-tunnel up')
        const reason = await this.#supervise(conn)
        if (this.#stop.signal.aborted) break
        this.#log.warn({ reason }, 'keep-tunnel lost')
      } catch (err) {
        if (this.#stop.signal.aborted) break
        this.#log.warn({ err: { code: (err as { code?: string }).code, message: (err as Error).message }, attempt }, 'keep-tunnel dial failed')
      }
      this.state = 'backoff'
      const delay = backoffDelay(attempt++, reconnect, this.#init.random)
      await sleep(delay, this.#stop.signal)
    }
    this.state = 'stopped'
  }

  /** Resolves with a reason when the connection closes or stops answering pings. */
  #supervise (conn: Connection): Promise<string> {
    const { node, peer, keepalive } = this.#init
    return new Promise(resolve => {
      let done = false
      const finish = (reason: string): void => {
        if (done) return
        done = true
        clearInterval(timer)
        node.off('tunnel:down', onDown)
        this.#stop.signal.removeEventListener('abort', onStop)
        resolve(reason)
      }
      const onDown = (evt: { connection: Connection }): void => {
        // Another open connection to the same peer keeps the tunnel up; only our own counts.
        if (evt.connection.id === conn.id) finish('connection closed')
      }
      const onStop = (): void => finish('stopped')
      let inFlight = false
      const timer = setInterval(() => {
        if (inFlight) return
        inFlight = true
        node.ping(peer, keepalive.timeoutMs).then(rtt => {
          this.lastRttMs = rtt
        }, (err: Error) => {
          if (done) return
          // A peer that does not answer within the timeout is dead even if TCP has not noticed.
          // Record why first: closing the connection reports 'tunnel:down' synchronously.
          finish(`ping failed: ${err.message}`)
          conn.abort(new RTCP_ERR_PING_TIMEOUT(peer.name, err.message, { cause: err }))
        }).finally(() => { inFlight = false })
      }, keepalive.intervalMs)
      timer.unref?.()
      node.on('tunnel:down', onDown)
      this.#stop.signal.addEventListener('abort', onStop, { once: true })
      if (conn.status !== 'open') finish('connection closed')
    })
  }
}
