// An rtcp node: this device's end of its tunnels. It dials peers (directly, or through a relay),
// accepts tunnels from trusted keys, opens streams with a header naming their target, and answers
// incoming streams by resolving the target with rules of its own (the injected resolver).
import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import type net from 'node:net'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, PeerId, PrivateKey, Stream, MultiaddrConnection } from '@libp2p/interface'
import type { Logger } from '../core/logger.ts'
import type { RtcpConfig } from '../config/types.ts'
import type { TunnelStream } from '../tunnel/types.ts'
import { TUN_ERR_ABORTED, TUN_ERR_CONNECT_REFUSED, TUN_ERR_CONNECT_TIMEOUT, TUN_ERR_UNREACHABLE } from '../tunnel/errors.ts'
import { splice } from '../tunnel/pipe.ts'
import { didFromPeerId, peerIdFromDid } from '../identity/did.ts'
import { createHost, RTCP_PROTOCOL, type RtcpHost } from './libp2p-host.ts'
import { SpliceServer } from './relay/splice-server.ts'
import { SocketMultiaddrConnection } from './relay/socket-conn.ts'
import { dialViaProxy } from './proxy-dial.ts'
import { parseOffer, connectRelayPort, socketMultiaddr } from './relay/offer.ts'
import { PeerBook, type KnownPeer } from './peer-book.ts'
import { RtcpStreamDuplex } from './stream-duplex.ts'
import { readHeader } from './header-io.ts'
import { decodeRequest, decodeResult, encodeRequest, encodeResult, type OpenRequest, type Purpose, type ResultCode } from './open-header.ts'
import { TokenBucket } from './token-bucket.ts'
import * as E from './errors.ts'

/** What an incoming stream asks for, as the resolver sees it. */
export interface InboundRequest {
  target: string
  purpose: Purpose
  /** did:dev of the device that opened the stream. */
  peer: string
  /** Configured name of that device, if any. */
  peerName?: string
}

/** Resolves an incoming stream's target to a connected Duplex, or throws a coded error. */
export type TargetResolver = (req: InboundRequest, signal: AbortSignal) => Promise<Duplex>

export interface RtcpNodeInit {
  privateKey: PrivateKey
  config: RtcpConfig
  logger: Logger
  resolveTarget?: TargetResolver
}

export interface TunnelInfo {
  peer: string
  did: string
  direction: 'inbound' | 'outbound'
  relayed: boolean
  remoteAddr: string
  openedAt: number
  streams: number
}

/** Error → the result code sent back to the opener. */
function resultCodeOf (err: unknown): ResultCode {
  switch ((err as { code?: string }).code) {
    case 'TUN_ERR_CONNECT_REFUSED': case 'ECONNREFUSED': return 'connect_refused'
    case 'TUN_ERR_CONNECT_TIMEOUT': case 'ETIMEDOUT': return 'timeout'
    case 'RTCP_ERR_REFUSED': return 'refused'
    case 'RTCP_ERR_RATE_LIMITED': return 'rate_limited'
    default: return 'unreachable'
  }
}

export class RtcpNode extends EventEmitter {
  readonly did: string
  readonly peers: PeerBook
  readonly #config: RtcpConfig
  readonly #log: Logger
  readonly #privateKey: PrivateKey
  readonly #trusted = new Set<string>()
  readonly #named = new Map<string, (stream: TunnelStream) => void>()
  readonly #buckets = new WeakMap<Connection, TokenBucket>()
  readonly #dials = new Map<string, Promise<Connection>>()
  #resolve: TargetResolver
  #admit: ((did: string) => boolean) | null = null
  #host: RtcpHost | null = null
  #relay: SpliceServer | null = null
  #stopped = false

  constructor (init: RtcpNodeInit) {
    super()
    this.#config = init.config
    this.#log = init.logger.child({ mod: 'tunnel.rtcp' })
    this.#privateKey = init.privateKey
    this.did = didFromPeerId(peerIdFromPrivateKey(init.privateKey))
    this.peers = new PeerBook(init.config.peers)
    for (const t of init.config.trust.devices) {
      const did = t.startsWith('did:dev:') ? t : this.peers.resolve(t).did
      this.#trusted.add(peerIdFromDid(did).toString())
    }
    this.#resolve = init.resolveTarget ?? (async (req) => { throw new E.RTCP_ERR_REFUSED(req.target, 'this node accepts no targets') })
  }

  setResolver (resolve: TargetResolver): void {
    this.#resolve = resolve
  }

  get host (): RtcpHost {
    if (this.#host == null) throw new E.RTCP_ERR_STOPPED()
    return this.#host
  }

  /** Admit devices beyond the config's trust list (an SN: the registered devices of active zones). */
  setAdmission (admit: (did: string) => boolean): void {
    this.#admit = admit
  }

  isTrusted (peerId: PeerId): boolean {
    if (this.#config.trust.allowAny || this.#trusted.has(peerId.toString())) return true
    return this.#admit != null && this.#admit(didFromPeerId(peerId))
  }

  #refuse (what: string, peerId: PeerId, remote?: string): boolean {
    this.#log.warn({ peer: didFromPeerId(peerId), remote, what }, 'untrusted device refused')
    this.emit('refused', { did: didFromPeerId(peerId), remote, what })
    return true
  }

  /** The relay port, when this node relays (an SN): host:port. */
  get relayAddress (): string | null {
    return this.#relay?.address ?? null
  }

  /** Bytes relayed so far, and a hook on every relayed chunk (counters; tests of what an SN sees). */
  get relay (): SpliceServer | null {
    return this.#relay
  }

  async start (options: { onRelayBytes?: (chunk: Buffer) => void } = {}): Promise<void> {
    const gater = {
      // Direct or relayed, a tunnel is admitted only after Noise has proven the peer's key.
      denyInboundEncryptedConnection: (peerId: PeerId, maConn: MultiaddrConnection) =>
        this.isTrusted(peerId) ? false : this.#refuse('tunnel', peerId, maConn.remoteAddr.toString())
    }
    const host = await createHost({ privateKey: this.#privateKey, config: this.#config, gater })
    this.#host = host
    if (this.#config.relay.enabled) {
      this.#relay = new SpliceServer({
        listen: this.#config.relay.listen,
        logger: this.#log,
        maxSessions: this.#config.relay.maxRelayedConnections,
        pendingTimeoutMs: this.#config.relay.pendingTimeoutMs,
        onBytes: options.onRelayBytes
      })
      await this.#relay.start()
    }
    await host.handle(RTCP_PROTOCOL, (stream, conn) => { this.#onStream(stream, conn) }, {
      maxInboundStreams: this.#config.limits.maxStreamsPerTunnel,
      maxOutboundStreams: this.#config.limits.maxStreamsPerTunnel,
      runOnLimitedConnection: true
    })
    host.addEventListener('connection:open', (evt) => this.#onConnectionOpen(evt.detail))
    host.addEventListener('connection:close', (evt) => {
      const c = evt.detail
      this.#log.info({ peer: this.peers.label(c.remotePeer), remote: c.remoteAddr.toString(), direction: c.direction }, 'tunnel down')
      this.emit('tunnel:down', { did: didFromPeerId(c.remotePeer), connection: c })
    })
    await host.start()
    for (const ma of host.getMultiaddrs()) {
      const tcpPart = ma.toString().split('/p2p/')[0]
      const m = /\/ip[46]\/([^/]+)\/tcp\/(\d+)/.exec(tcpPart)
      if (m != null) this.#log.info({ url: `rtcp://${m[1].includes(':') ? `[${m[1]}]` : m[1]}:${m[2]}`, did: this.did }, 'listening')
    }
  }

  #onConnectionOpen (c: Connection): void {
    const relayed = isRelayed(c)
    this.#log.info({ peer: this.peers.label(c.remotePeer), remote: c.remoteAddr.toString(), direction: c.direction, relayed }, 'tunnel up')
    this.emit('tunnel:up', { did: didFromPeerId(c.remotePeer), connection: c })
  }

  /** Listen addresses as host:port after binding (port 0 resolved). */
  listenAddrs (): string[] {
    const out: string[] = []
    for (const ma of this.#host?.getMultiaddrs() ?? []) {
      const m = /\/ip([46])\/([^/]+)\/tcp\/(\d+)/.exec(ma.toString())
      if (m != null && !ma.toString().includes('p2p-circuit')) out.push(m[1] === '6' ? `[${m[2]}]:${m[3]}` : `${m[2]}:${m[3]}`)
    }
    return [...new Set(out)]
  }

  tunnels (): TunnelInfo[] {
    return (this.#host?.getConnections() ?? []).map(c => ({
      peer: this.peers.label(c.remotePeer),
      did: didFromPeerId(c.remotePeer),
      direction: c.direction,
      relayed: isRelayed(c),
      remoteAddr: c.remoteAddr.toString(),
      openedAt: c.timeline.open,
      streams: c.streams.length
    }))
  }

  /** The open connection to a peer, preferring a direct one. */
  existingConnection (peer: KnownPeer): Connection | undefined {
    const conns = (this.#host?.getConnections(peer.peerId) ?? []).filter(c => c.status === 'open')
    return conns.find(c => !isRelayed(c)) ?? conns[0]
  }

  /** Get a tunnel to the peer: reuse the open one, else dial directly, else through its relay. */
  async connect (peer: KnownPeer, signal: AbortSignal): Promise<Connection> {
    const existing = this.existingConnection(peer)
    if (existing != null) return existing
    const key = peer.peerId.toString()
    let pending = this.#dials.get(key)
    if (pending == null) {
      pending = this.#dial(peer).finally(() => this.#dials.delete(key))
      this.#dials.set(key, pending)
    }
    // Shared dials are not cancelled by one caller's abort; each caller stops waiting on its own.
    return await raceAbort(pending, signal, peer.name)
  }

  async #dial (peer: KnownPeer): Promise<Connection> {
    const host = this.host
    const signal = AbortSignal.timeout(this.#config.limits.handshakeTimeoutMs)
    const errors: string[] = []
    if (peer.addrs.length > 0) {
      try {
        return peer.proxy != null ? await dialViaProxy(this.host.services.upgrade, peer, peer.proxy, signal, this.#log) : await host.dial(peer.addrs, { signal })
      } catch (err) {
        errors.push(`direct: ${(err as Error).message}`)
        if (peer.via == null) throw this.#dialError(peer, err, errors)
      }
    }
    if (peer.via == null) throw new E.RTCP_ERR_NO_ROUTE(peer.name)
    const relay = peer.via
    try {
      return await this.#dialViaRelay(peer, relay, signal)
    } catch (err) {
      errors.push(`via ${relay.name}: ${(err as Error).message}`)
      throw this.#dialError(peer, err, errors)
    }
  }

  /**
   * Reach `peer` through `relay`: ask the relay over our own tunnel to it for a session, connect
   * to its relay port with the token it gave us, and run Noise + yamux end to end over that
   * socket. The relay splices it to the peer's socket and sees only ciphertext.
   */
  async #dialViaRelay (peer: KnownPeer, relay: KnownPeer, signal: AbortSignal): Promise<Connection> {
    const relayConn = await this.connect(relay, signal)
    const { duplex, message } = await this.#request(relay, peer.did, 'relay', signal)
    duplex.destroy()
    const offer = parseOffer(message)
    const socket = await connectRelayPort(offer.addr, relayConn, offer.token, signal)
    const maConn = new SocketMultiaddrConnection({
      socket,
      remoteAddr: multiaddr(`${socketMultiaddr(socket)}/p2p/${relay.peerId.toString()}/p2p-circuit/p2p/${peer.peerId.toString()}`),
      direction: 'outbound',
      log: this.host.services.upgrade.logger.forComponent('zonegate:relay:conn')
    })
    return await this.host.services.upgrade.upgrader.upgradeOutbound(maConn, { signal })
  }

  #dialError (peer: KnownPeer, err: unknown, errors: string[]): Error {
    if ((err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError') {
      return new TUN_ERR_CONNECT_TIMEOUT(`rtcp://${peer.name}`, this.#config.limits.handshakeTimeoutMs, { cause: err })
    }
    return new E.RTCP_ERR_DIAL_FAILED(peer.name, errors.join('; '), { cause: err })
  }

  /** Open a stream to `target` on the peer. Resolves once the peer has answered `ok`. */
  async openStream (peer: KnownPeer, target: string, options: { signal: AbortSignal, purpose?: Purpose }): Promise<RtcpStreamDuplex> {
    return (await this.#request(peer, target, options.purpose ?? 'stream', options.signal)).duplex
  }

  /** Open a stream with a header and wait for the peer's result; `ok` gives the stream and message. */
  async #request (peer: KnownPeer, target: string, purpose: Purpose, signal: AbortSignal): Promise<{ duplex: RtcpStreamDuplex, message: string }> {
    if (signal.aborted) throw new TUN_ERR_ABORTED(`rtcp://${peer.name}/${target}`, { cause: signal.reason })
    if (this.#stopped) throw new E.RTCP_ERR_STOPPED()
    const conn = await this.connect(peer, signal)
    let stream: Stream
    try {
      stream = await conn.newStream(RTCP_PROTOCOL, {
        signal,
        // Send the protocol name and our header in one go instead of waiting a round trip.
        negotiateFully: false,
        maxOutboundStreams: this.#config.limits.maxStreamsPerTunnel,
        runOnLimitedConnection: true
      })
    } catch (err) {
      if (signal.aborted) throw new TUN_ERR_ABORTED(`rtcp://${peer.name}/${target}`, { cause: err })
      throw new E.RTCP_ERR_STREAM_FAILED(peer.name, (err as Error).message, { cause: err })
    }
    const duplex = this.#wrap(stream, conn, peer.name, target)
    const onAbort = (): void => { duplex.destroy() }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      duplex.write(encodeRequest({ purpose, target }))
      const result = await readHeader(duplex, decodeResult, this.#config.limits.streamOpenTimeoutMs, signal)
      if (result.code !== 'ok') throw this.#resultError(peer, target, result.code, result.message)
      return { duplex, message: result.message }
    } catch (err) {
      duplex.destroy()
      if (signal.aborted) throw new TUN_ERR_ABORTED(`rtcp://${peer.name}/${target}`, { cause: err })
      throw err
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  #resultError (peer: KnownPeer, target: string, code: ResultCode, message: string): Error {
    const where = `rtcp://${peer.name}/${target}`
    switch (code) {
      case 'connect_refused': return new TUN_ERR_CONNECT_REFUSED(where)
      case 'timeout': return new TUN_ERR_CONNECT_TIMEOUT(where, this.#config.limits.streamOpenTimeoutMs)
      case 'refused': return new E.RTCP_ERR_REFUSED(where, message)
      case 'rate_limited': return new E.RTCP_ERR_RATE_LIMITED(where)
      case 'unreachable': return new TUN_ERR_UNREACHABLE(`${where} (${message})`)
      default: return new E.RTCP_ERR_REFUSED(where, `${code}: ${message}`)
    }
  }

  #wrap (stream: Stream, conn: Connection, peerLabel: string, target: string): RtcpStreamDuplex {
    // A paused stream buffers at most the yamux window; keep libp2p's reset threshold above it.
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, this.#config.limits.streamBufferBytes * 2)
    const local = new URL(`rtcp://${encodeURIComponent(this.did)}/`)
    const remote = new URL(`rtcp://${encodeURIComponent(didFromPeerId(conn.remotePeer))}/${target.startsWith('<') || target.includes('://') ? encodeURIComponent(target) : target}`)
    void peerLabel
    return new RtcpStreamDuplex(stream, local, remote)
  }

  #onStream (stream: Stream, conn: Connection): void {
    const peer = this.peers.byPeerId(conn.remotePeer)
    const label = peer?.name ?? didFromPeerId(conn.remotePeer)
    let bucket = this.#buckets.get(conn)
    if (bucket == null) {
      bucket = new TokenBucket(this.#config.limits.streamOpenRate)
      this.#buckets.set(conn, bucket)
    }
    const duplex = this.#wrap(stream, conn, label, '')
    duplex.on('error', () => {}) // reported through the handling below
    this.#handleInbound(duplex, conn, label, peer, bucket.take()).catch((err: Error) => {
      this.#log.debug({ err, peer: label }, 'inbound stream failed')
      duplex.destroy()
    })
  }

  async #handleInbound (duplex: RtcpStreamDuplex, conn: Connection, label: string, peer: KnownPeer | undefined, admitted: boolean): Promise<void> {
    const limits = this.#config.limits
    let req: OpenRequest
    try {
      req = await readHeader(duplex, decodeRequest, limits.streamOpenTimeoutMs)
    } catch (err) {
      this.#log.debug({ err, peer: label }, 'bad stream header')
      duplex.end(encodeResult({ code: 'bad_request', message: (err as Error).message }))
      return
    }
    const answer = (code: ResultCode, message = ''): void => { duplex.end(encodeResult({ code, message })) }
    if (!admitted) { answer('rate_limited'); return }
    if (req.purpose === 'ping') { answer('ok'); return }
    if (req.purpose === 'relay') { await this.#onRelayRequest(req.target, conn, answer); return }
    if (req.purpose === 'relay_accept') { await this.#onRelayAccept(req.target, conn, answer); return }
    if (req.purpose !== 'stream') { answer('unsupported', `purpose ${req.purpose} is not supported`); return }
    const named = this.#named.get(req.target)
    if (named != null) {
      duplex.write(encodeResult({ code: 'ok', message: '' }))
      named(duplex)
      return
    }
    const ac = new AbortController()
    const onGone = (): void => ac.abort()
    duplex.once('close', onGone)
    let upstream: Duplex
    try {
      upstream = await this.#resolve({ target: req.target, purpose: req.purpose, peer: didFromPeerId(conn.remotePeer), peerName: peer?.name }, ac.signal)
    } catch (err) {
      duplex.off('close', onGone)
      const code = resultCodeOf(err)
      this.#log.debug({ err, peer: label, target: req.target, code }, 'stream target not opened')
      answer(code, (err as Error).message)
      return
    }
    duplex.off('close', onGone)
    duplex.write(encodeResult({ code: 'ok', message: '' }))
    const started = performance.now()
    try {
      const r = await splice(duplex, upstream)
      this.#log.debug({ peer: label, target: req.target, bytesIn: r.aToB, bytesOut: r.bToA, ms: Math.round(performance.now() - started) }, 'stream closed')
    } catch (err) {
      this.#log.debug({ err, peer: label, target: req.target }, 'stream failed')
    }
  }

  /** As a relay: a device asks to be relayed to another device. */
  async #onRelayRequest (targetDid: string, conn: Connection, answer: (code: ResultCode, message?: string) => void): Promise<void> {
    const from = didFromPeerId(conn.remotePeer)
    if (this.#relay == null) { answer('unsupported', 'this node does not relay'); return }
    let target: KnownPeer
    try {
      target = this.peers.resolve(targetDid)
    } catch {
      answer('bad_request', 'the relay target must be a device key'); return
    }
    if (!this.isTrusted(target.peerId)) { answer('refused', 'the target device is not admitted here'); return }
    const toTarget = this.existingConnection(target)
    if (toTarget == null) { answer('unreachable', 'the target device has no tunnel to this relay'); return }
    const tokens = this.#relay.open()
    if (tokens == null) { answer('rate_limited', 'too many relayed connections'); return }
    const addr = this.#relay.address
    try {
      const { duplex } = await this.#request(target, JSON.stringify({ token: tokens[1], addr, from }), 'relay_accept', AbortSignal.timeout(this.#config.limits.streamOpenTimeoutMs))
      duplex.destroy()
    } catch (err) {
      this.#log.debug({ err, from, to: target.name }, 'relay target declined')
      answer(resultCodeOf(err), (err as Error).message); return
    }
    this.#log.debug({ from: this.peers.label(conn.remotePeer), to: target.name }, 'relay session offered')
    answer('ok', JSON.stringify({ token: tokens[0], addr }))
  }

  /** From a relay: another device wants a tunnel to us; connect to the relay port and accept it. */
  async #onRelayAccept (text: string, conn: Connection, answer: (code: ResultCode, message?: string) => void): Promise<void> {
    let offer: { token: string, addr: string, from: string }
    try {
      offer = { ...parseOffer(text), from: String(JSON.parse(text).from) }
      peerIdFromDid(offer.from)
    } catch (err) {
      answer('bad_request', (err as Error).message); return
    }
    const fromId = peerIdFromDid(offer.from)
    if (!this.isTrusted(fromId)) {
      this.#refuse('relayed tunnel', fromId, `via ${this.peers.label(conn.remotePeer)}`)
      answer('refused', 'this device does not admit the requesting device'); return
    }
    const signal = AbortSignal.timeout(this.#config.limits.handshakeTimeoutMs)
    let socket: net.Socket
    try {
      socket = await connectRelayPort(offer.addr, conn, offer.token, signal)
    } catch (err) {
      answer('unreachable', (err as Error).message); return
    }
    answer('ok')
    const maConn = new SocketMultiaddrConnection({
      socket,
      // The last /p2p/ names the device we expect: Noise will accept no other key.
      remoteAddr: multiaddr(`${socketMultiaddr(socket)}/p2p/${conn.remotePeer.toString()}/p2p-circuit/p2p/${fromId.toString()}`),
      direction: 'inbound',
      log: this.host.services.upgrade.logger.forComponent('zonegate:relay:conn')
    })
    try {
      await this.host.services.upgrade.upgrader.upgradeInbound(maConn, { signal })
    } catch (err) {
      this.#log.debug({ err, from: offer.from }, 'relayed tunnel failed')
      maConn.abort(err as Error)
    }
  }

  /** Deliver streams whose target is `name` to `onStream` (an in-process listener). */
  bindName (name: string, onStream: (stream: TunnelStream) => void): () => void {
    if (this.#named.has(name)) throw new E.RTCP_ERR_NAME_IN_USE(name)
    this.#named.set(name, onStream)
    return () => { if (this.#named.get(name) === onStream) this.#named.delete(name) }
  }

  async ping (peer: KnownPeer, timeoutMs: number): Promise<number> {
    const started = performance.now()
    const s = await this.openStream(peer, '', { purpose: 'ping', signal: AbortSignal.timeout(timeoutMs) })
    s.destroy()
    return performance.now() - started
  }

  async stop (): Promise<void> {
    this.#stopped = true
    const host = this.#host
    this.#host = null
    await this.#relay?.close()
    await host?.stop()
  }
}

/** A relayed tunnel's remote address reads <relay port>/p2p/<relay>/p2p-circuit/p2p/<device>. */
function isRelayed (c: Connection): boolean {
  return c.remoteAddr.toString().includes('/p2p-circuit')
}

function peerIdFromPrivateKey (key: PrivateKey): PeerId {
  return peerIdFromDid(`did:dev:${Buffer.from(key.publicKey.raw).toString('base64url')}`)
}

async function raceAbort<T> (p: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) throw new TUN_ERR_ABORTED(`rtcp://${what}`, { cause: signal.reason })
  let onAbort!: () => void
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new TUN_ERR_ABORTED(`rtcp://${what}`, { cause: signal.reason }))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([p, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

