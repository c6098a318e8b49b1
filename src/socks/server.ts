// The SOCKS5 server engine (RFC 1928, RFC 1929 auth) as a library: handle() serves one accepted
// client socket. What happens to a request is not decided here: deps.decide() (the chain) answers
// direct, tunnel or reject, and deps.open() (the tunnel registry) opens the upstream. A reply is
// sent only once the outcome is known, so the code a client sees is the real one.
//   CONNECT        open upstream, reply with its local address, then splice() both ways
//   UDP ASSOCIATE  udp-relay.ts; the association lives as long as the control connection
//   BIND           0x07 (not supported)
import net from 'node:net'
import type { Duplex } from 'node:stream'
import type { Logger } from '../core/logger.ts'
import { splice } from '../tunnel/pipe.ts'
import { AUTH_METHODS, REPLY_CODES, type Request, type SocksAddress } from './types.ts'
import { decodeAuthRequest, decodeGreeting, decodeRequest } from './decode.ts'
import { encodeAuthReply, encodeMethodSelection, encodeReply } from './encode.ts'
import { addressFromHostPort, formatAddress } from './address.ts'
import { checkPassword } from './auth.ts'
import { HandshakeReader } from './server-reader.ts'
import { replyCodeFor } from './server-replies.ts'
import { plainIp, startUdpRelay } from './udp-relay.ts'
import { SOCKS_ERR_HANDSHAKE_TIMEOUT, SOCKS_ERR_TOO_MANY_SESSIONS } from './errors.ts'

export interface SocksRequestFacts {
  command: 'connect' | 'udp_associate'
  target: SocksAddress
  source: { address: string, port: number }
  /** The authenticated username. */
  user?: string
}

export type SocksDecision =
  | { action: 'direct' }
  | { action: 'tunnel', url: string }
  | { action: 'reject', reply?: number }

export interface SocksSessionEntry {
  user?: string
  command: string
  target: string
  url?: string
  reply: number
  bytesIn: number
  bytesOut: number
  ms: number
  error?: string
}

export interface SocksServerDeps {
  /** Synchronous, as the chain's match is. */
  decide (facts: SocksRequestFacts): SocksDecision
  /** The tunnel registry's open(). */
  open (url: string, options: { signal: AbortSignal }): Promise<Duplex>
  logger: Logger
  onSessionDone? (entry: SocksSessionEntry): void
}

export interface SocksServerOptions {
  auth: { required: boolean, users: ReadonlyMap<string, string> }
  /** Greeting + auth + request. */
  handshakeTimeoutMs: number
  /** The outbound open. */
  connectTimeoutMs: number
  /** Concurrent sessions per client IP. */
  maxSessionsPerClient: number
  /** A UDP association with no datagrams for this long ends. */
  udpIdleTimeoutMs: number
  /** Address the UDP relay binds; '' = the control socket's local address. */
  udpBindHost: string
}

export interface SocksServer {
  /** Serve one accepted client socket until the session ends. Never rejects. */
  handle (socket: net.Socket): Promise<void>
  /** Sessions open now, for status and tests. */
  readonly active: number
  close (): void
}

export const SOCKS_SERVER_DEFAULTS: Readonly<SocksServerOptions> = Object.freeze({
  auth: { required: false, users: new Map<string, string>() },
  handshakeTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  maxSessionsPerClient: 64,
  udpIdleTimeoutMs: 120_000,
  udpBindHost: ''
})

const UNSPECIFIED: SocksAddress = Object.freeze({ type: 'ipv4', host: '0.0.0.0', port: 0 })

/** Sent as the method selection when the session limit is hit: RFC 1928 has no "busy" here. */
const REFUSE_METHOD = AUTH_METHODS.NO_ACCEPTABLE

function chooseMethod (offered: number[], auth: SocksServerOptions['auth']): number {
  const userPass = offered.includes(AUTH_METHODS.USERNAME_PASSWORD)
  if (auth.required) return userPass ? AUTH_METHODS.USERNAME_PASSWORD : AUTH_METHODS.NO_ACCEPTABLE
  // A client that offers credentials and has users to check them against gets them checked.
  if (userPass && auth.users.size > 0) return AUTH_METHODS.USERNAME_PASSWORD
  if (offered.includes(AUTH_METHODS.NO_AUTH)) return AUTH_METHODS.NO_AUTH
  return AUTH_METHODS.NO_ACCEPTABLE
}

/** Write the last bytes of a failed handshake and close once they are flushed. */
function finish (socket: net.Socket, bytes: Buffer): void {
  if (socket.destroyed) return
  socket.end(bytes)
  // A client that never reads must not keep the socket alive.
  socket.setTimeout(2000, () => socket.destroy())
}

function boundOf (upstream: Duplex): SocksAddress {
  if (upstream instanceof net.Socket && upstream.localAddress != null && upstream.localPort != null) {
    try {
      return addressFromHostPort(plainIp(upstream.localAddress), upstream.localPort)
    } catch {}
  }
  return UNSPECIFIED
}

export function createSocksServer (deps: SocksServerDeps, options: Partial<SocksServerOptions> = {}): SocksServer {
  const opts: SocksServerOptions = { ...SOCKS_SERVER_DEFAULTS, ...options }
  const log = deps.logger.child({ mod: 'socks.server' })
  const perIp = new Map<string, number>()
  const sockets = new Set<net.Socket>()
  let closed = false

  async function session (socket: net.Socket, ip: string, overLimit: boolean): Promise<SocksSessionEntry | undefined> {
    const started = performance.now()
    const client = `${ip}:${socket.remotePort ?? 0}`
    const reader = new HandshakeReader(socket)
    const timer = setTimeout(() => {
      socket.destroy(new SOCKS_ERR_HANDSHAKE_TIMEOUT(client, opts.handshakeTimeoutMs))
    }, opts.handshakeTimeoutMs)
    let user: string | undefined
    let request: Request
    let inRequest = false
    try {
      const greeting = await reader.next(decodeGreeting)
      if (overLimit) {
        log.info({ client, limit: opts.maxSessionsPerClient }, new SOCKS_ERR_TOO_MANY_SESSIONS(ip, opts.maxSessionsPerClient).message)
        finish(socket, encodeMethodSelection({ method: REFUSE_METHOD }))
        return undefined
      }
      const method = chooseMethod(greeting.methods, opts.auth)
      socket.write(encodeMethodSelection({ method }))
      if (method === AUTH_METHODS.NO_ACCEPTABLE) { finish(socket, Buffer.alloc(0)); return undefined }
      if (method === AUTH_METHODS.USERNAME_PASSWORD) {
        const a = await reader.next(decodeAuthRequest)
        if (!checkPassword(opts.auth.users, a.username, a.password)) {
          log.info({ client, user: a.username }, 'SOCKS authentication failed')
          finish(socket, encodeAuthReply({ status: 1 }))
          return undefined
        }
        user = a.username
        socket.write(encodeAuthReply({ status: 0 }))
      }
      inRequest = true
      request = await reader.next(decodeRequest)
    } catch (err) {
      const e = err as Error & { socksReply?: number }
      // A codec error in the request is answered with its reply code; earlier ones just close.
      if (inRequest && typeof e.socksReply === 'number' && !socket.destroyed) finish(socket, encodeReply({ code: e.socksReply, bound: UNSPECIFIED }))
      else socket.destroy()
      log.debug({ client, err }, 'SOCKS handshake failed')
      return undefined
    } finally {
      clearTimeout(timer)
    }
    const target = formatAddress(request.target)
    const entry = (reply: number, extra: Partial<SocksSessionEntry> = {}): SocksSessionEntry => ({
      ...(user != null ? { user } : {}), command: request.command, target, reply, bytesIn: 0, bytesOut: 0, ms: Math.round(performance.now() - started), ...extra
    })
    const fail = (code: number, extra: Partial<SocksSessionEntry> = {}): SocksSessionEntry => {
      finish(socket, encodeReply({ code, bound: UNSPECIFIED }))
      return entry(code, extra)
    }
    if (request.command === 'bind') return fail(REPLY_CODES.COMMAND_NOT_SUPPORTED)
    const source = { address: ip, port: socket.remotePort ?? 0 }
    const facts = (t: SocksAddress): SocksRequestFacts => ({ command: request.command as SocksRequestFacts['command'], target: t, source, ...(user != null ? { user } : {}) })
    if (request.command === 'udp_associate') return await associate(socket, reader, request.target, facts, entry, fail)

    let decision: SocksDecision
    try {
      decision = deps.decide(facts(request.target))
    } catch (err) {
      log.warn({ client, target, err }, 'SOCKS decide() threw')
      return fail(REPLY_CODES.GENERAL_FAILURE, { error: String((err as Error)?.message ?? err) })
    }
    if (decision.action === 'reject') return fail(decision.reply ?? REPLY_CODES.NOT_ALLOWED)
    const url = decision.action === 'tunnel' ? decision.url : `tcp://${target}`
    // The open is abandoned when the client goes away or our connect bound runs out.
    const gone = new AbortController()
    const onGone = (): void => gone.abort(new Error('client closed'))
    socket.once('close', onGone)
    const deadline = AbortSignal.timeout(opts.connectTimeoutMs)
    let upstream: Duplex
    try {
      upstream = await deps.open(url, { signal: AbortSignal.any([gone.signal, deadline]) })
    } catch (err) {
      // Our own bound running out is a timeout (0x04, see server-replies.ts), whatever the kind
      // made of the abort.
      const code = gone.signal.aborted ? REPLY_CODES.GENERAL_FAILURE : deadline.aborted ? REPLY_CODES.HOST_UNREACHABLE : replyCodeFor(err)
      log.debug({ client, url, err }, 'SOCKS open failed')
      return fail(code, { url, error: String((err as Error)?.message ?? err) })
    } finally {
      socket.off('close', onGone)
    }
    if (socket.destroyed) { upstream.destroy(); return entry(REPLY_CODES.GENERAL_FAILURE, { url, error: 'client closed' }) }
    socket.write(encodeReply({ code: REPLY_CODES.SUCCEEDED, bound: boundOf(upstream) }))
    // Bytes the client sent right after its request go to the target first.
    const rest = reader.detach()
    if (rest.length > 0) socket.unshift(rest)
    try {
      const r = await splice(socket, upstream)
      return entry(REPLY_CODES.SUCCEEDED, { url, bytesIn: r.aToB, bytesOut: r.bToA })
    } catch (err) {
      const e = err as Error & { aToB?: number, bToA?: number }
      return entry(REPLY_CODES.SUCCEEDED, { url, bytesIn: e.aToB ?? 0, bytesOut: e.bToA ?? 0, error: e.message })
    }
  }

  async function associate (
    socket: net.Socket, reader: HandshakeReader, declared: SocksAddress,
    facts: (t: SocksAddress) => SocksRequestFacts,
    entry: (reply: number, extra?: Partial<SocksSessionEntry>) => SocksSessionEntry,
    fail: (code: number, extra?: Partial<SocksSessionEntry>) => SocksSessionEntry
  ): Promise<SocksSessionEntry> {
    let relay
    try {
      relay = await startUdpRelay({
        bindHost: opts.udpBindHost !== '' ? opts.udpBindHost : (socket.localAddress ?? '127.0.0.1'),
        client: { address: socket.remoteAddress ?? '', port: declared.port },
        // UDP goes direct only in this part; anything else (tunnel, reject, a throw) drops.
        allow: (t) => { try { return deps.decide(facts(t)).action === 'direct' } catch { return false } },
        idleTimeoutMs: opts.udpIdleTimeoutMs,
        logger: log
      })
    } catch (err) {
      return fail(REPLY_CODES.GENERAL_FAILURE, { error: String((err as Error)?.message ?? err) })
    }
    if (socket.destroyed) { relay.close(); return entry(REPLY_CODES.GENERAL_FAILURE, { error: 'client closed' }) }
    socket.write(encodeReply({ code: REPLY_CODES.SUCCEEDED, bound: relay.bound }))
    reader.detach()
    // The control connection carries nothing more; its end (or error) ends the association.
    const controlDone = new Promise<void>(resolve => {
      socket.once('end', resolve)
      socket.once('close', resolve)
      socket.on('error', () => resolve())
    })
    socket.resume()
    await Promise.race([controlDone, relay.idle])
    relay.close()
    if (!socket.destroyed) socket.end()
    socket.setTimeout(2000, () => socket.destroy())
    return entry(REPLY_CODES.SUCCEEDED, { bytesIn: relay.bytesIn, bytesOut: relay.bytesOut })
  }

  return {
    async handle (socket: net.Socket): Promise<void> {
      const ip = plainIp(socket.remoteAddress ?? '')
      // Errors surface through the session's own paths; a listener must exist so none is uncaught.
      socket.on('error', () => {})
      if (closed) { socket.destroy(); return }
      const count = (perIp.get(ip) ?? 0) + 1
      perIp.set(ip, count)
      sockets.add(socket)
      const closedP = new Promise<void>(resolve => { if (socket.destroyed) resolve(); else socket.once('close', () => resolve()) })
      let done: SocksSessionEntry | undefined
      try {
        done = await session(socket, ip, count > opts.maxSessionsPerClient)
      } catch (err) {
        log.warn({ err }, 'SOCKS session failed')
        socket.destroy()
      } finally {
        // The session counts until its socket is really gone (a failing reply may still flush).
        await closedP
        sockets.delete(socket)
        const n = (perIp.get(ip) ?? 1) - 1
        if (n <= 0) perIp.delete(ip); else perIp.set(ip, n)
      }
      // Reported once the session no longer counts, so `active` already excludes it.
      if (done != null) {
        log.debug(done, 'SOCKS session done')
        try { deps.onSessionDone?.(done) } catch (err) { log.warn({ err }, 'onSessionDone threw') }
      }
    },
    get active (): number { return sockets.size },
    close (): void {
      closed = true
      for (const s of sockets) s.destroy()
    }
  }
}
