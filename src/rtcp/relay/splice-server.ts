// The SN's relay: it joins two plain TCP connections, one from each device, byte for byte.
// Each device learns a one-time token over its own authenticated rtcp tunnel to the SN, dials this
// port and sends the token; when both halves of a session are here, the SN splices them. The two
// devices then run Noise XX and yamux end to end over the spliced bytes: the SN never decrypts,
// never encrypts, and cannot read or alter what it forwards.
//
//   device → SN:  token (32 hex characters) "\n", then the device's bytes
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import type { Logger } from '../../core/logger.ts'
import { splice } from '../../tunnel/pipe.ts'
import { parseHostPort } from '../../config/host-port.ts'

const TOKEN_LINE_BYTES = 33

export interface SpliceServerInit {
  listen: string
  logger: Logger
  /** Relayed sessions at once (pending and spliced). */
  maxSessions: number
  /** How long a session waits for both devices, and a socket for its token. */
  pendingTimeoutMs: number
  /** Every chunk the relay forwards, for counters (and tests that check what the SN handles). */
  onBytes?: (chunk: Buffer) => void
}

interface Session {
  sockets: Array<net.Socket | null>
  timer: NodeJS.Timeout
  spliced: boolean
}

export class SpliceServer {
  readonly #init: SpliceServerInit
  readonly #log: Logger
  readonly #byToken = new Map<string, { session: Session, side: 0 | 1 }>()
  readonly #sessions = new Set<Session>()
  readonly #sockets = new Set<net.Socket>()
  #server: net.Server | null = null
  bytesRelayed = 0
  address = ''

  constructor (init: SpliceServerInit) {
    this.#init = init
    this.#log = init.logger.child({ mod: 'rtcp.relay' })
  }

  async start (): Promise<void> {
    const hp = parseHostPort(this.#init.listen, 'listen')
    if (typeof hp === 'string') throw new TypeError(`relay listen ${this.#init.listen}: ${hp}`)
    const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (s) => { this.#onSocket(s) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: hp.host, port: hp.port }, () => { server.off('error', reject); resolve() })
    })
    this.#server = server
    const a = server.address() as net.AddressInfo
    this.address = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`
    this.#log.info({ url: `tcp://${this.address}`, role: 'relay' }, 'listening')
  }

  /** A new session: one token for each device. Null when at the session limit. */
  open (): [string, string] | null {
    if (this.#sessions.size >= this.#init.maxSessions) return null
    const tokens: [string, string] = [randomBytes(16).toString('hex'), randomBytes(16).toString('hex')]
    const session: Session = {
      sockets: [null, null],
      spliced: false,
      timer: setTimeout(() => { if (!session.spliced) this.#drop(session, 'session not completed in time') }, this.#init.pendingTimeoutMs)
    }
    session.timer.unref()
    this.#sessions.add(session)
    this.#byToken.set(tokens[0], { session, side: 0 })
    this.#byToken.set(tokens[1], { session, side: 1 })
    return tokens
  }

  get sessions (): number {
    return this.#sessions.size
  }

  #drop (session: Session, reason: string): void {
    clearTimeout(session.timer)
    for (const s of session.sockets) s?.destroy()
    for (const [t, v] of this.#byToken) if (v.session === session) this.#byToken.delete(t)
    if (this.#sessions.delete(session)) this.#log.debug({ reason }, 'relay session ended')
  }

  #onSocket (socket: net.Socket): void {
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
    socket.on('error', () => {})
    // Read exactly the token line, no more: bounded in bytes and in time.
    const chunks: Buffer[] = []
    let have = 0
    const deadline = setTimeout(() => socket.destroy(), this.#init.pendingTimeoutMs)
    const onReadable = (): void => {
      let chunk: Buffer | null
      while (have < TOKEN_LINE_BYTES && (chunk = socket.read(TOKEN_LINE_BYTES - have) as Buffer | null) !== null) {
        chunks.push(chunk)
        have += chunk.length
      }
      if (have < TOKEN_LINE_BYTES) return
      socket.off('readable', onReadable)
      clearTimeout(deadline)
      const line = Buffer.concat(chunks).toString('latin1')
      const entry = line.endsWith('\n') ? this.#byToken.get(line.slice(0, 32)) : undefined
      if (entry == null) { socket.destroy(); return }
      this.#byToken.delete(line.slice(0, 32))
      entry.session.sockets[entry.side] = socket
      const [a, b] = entry.session.sockets
      if (a != null && b != null) this.#splice(entry.session, a, b)
    }
    socket.on('readable', onReadable)
    socket.resume()
    socket.pause()
  }

  #splice (session: Session, a: net.Socket, b: net.Socket): void {
    session.spliced = true
    clearTimeout(session.timer)
    const onBytes = this.#init.onBytes
    const count = (chunk: Buffer): void => { this.bytesRelayed += chunk.length; onBytes?.(chunk) }
    a.on('data', count)
    b.on('data', count)
    const started = performance.now()
    splice(a, b).then(
      (r) => this.#log.debug({ aToB: r.aToB, bToA: r.bToA, ms: Math.round(performance.now() - started) }, 'relay session closed'),
      (err: Error) => this.#log.debug({ err: { message: err.message } }, 'relay session failed')
    ).finally(() => this.#drop(session, 'closed'))
  }

  async close (): Promise<void> {
    for (const s of [...this.#sessions]) this.#drop(s, 'relay stopped')
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>(resolve => { if (this.#server == null) resolve(); else this.#server.close(() => resolve()) })
  }
}
