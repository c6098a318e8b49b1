// Load for the SOCKS benchmark: a minimal SOCKS5 client (no auth, CONNECT to an IPv4 target) and
// the two measurements. Every loop is bounded in count and in time.
import net from 'node:net'
import { once } from 'node:events'

/** Where a path's sessions go: through a SOCKS5 proxy on `proxy`, or straight to the target (null). */
export type Via = number | null

const GREETING = Buffer.from([5, 1, 0]) // version 5, one method: no authentication

function connectRequest (port: number): Buffer {
  const b = Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, 0, 0]) // CONNECT 127.0.0.1:port
  b.writeUInt16BE(port, 8)
  return b
}

/** Length of a complete CONNECT reply at the start of `b`, or 0 when more bytes are needed. */
function replyLength (b: Buffer): number {
  if (b.length < 5) return 0
  const n = b[3] === 1 ? 10 : b[3] === 4 ? 22 : b[3] === 3 ? 7 + b[4] : -1
  if (n < 0) throw new Error(`bad SOCKS reply address type ${b[3]}`)
  return b.length >= n ? n : 0
}

/**
 * Open a session to 127.0.0.1:`target`. Through a proxy: greeting, wait for the method choice,
 * CONNECT, wait for the reply — one step at a time, as curl does (microsocks does not take a
 * pipelined request). Resolves with the socket and any payload bytes that came with the reply.
 */
export async function open (via: Via, target: number, timeoutMs: number): Promise<{ s: net.Socket, first: Buffer }> {
  const s = net.connect({ port: via ?? target, host: '127.0.0.1', noDelay: true })
  if (via == null) { await once(s, 'connect'); return { s, first: Buffer.alloc(0) } }
  return await new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0)
    let step = 0
    const fail = (err: Error): void => { clearTimeout(timer); s.destroy(); reject(err) }
    const timer = setTimeout(() => fail(new Error('SOCKS handshake timed out')), timeoutMs)
    const onData = (d: Buffer): void => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d])
      if (step === 0) {
        if (buf.length < 2) return
        if (buf[0] !== 5 || buf[1] !== 0) { fail(new Error(`method refused: ${buf.subarray(0, 2).toString('hex')}`)); return }
        buf = buf.subarray(2); step = 1
        s.write(connectRequest(target))
      }
      if (buf.length === 0) return
      let n = 0
      try { n = replyLength(buf) } catch (err) { fail(err as Error); return }
      if (n === 0) return
      if (buf[1] !== 0) { fail(new Error(`CONNECT reply ${buf[1]}`)); return }
      clearTimeout(timer)
      s.off('data', onData); s.off('error', fail); s.off('close', onClose)
      s.pause()
      resolve({ s, first: buf.subarray(n) })
    }
    const onClose = (): void => fail(new Error('proxy closed during the handshake'))
    s.on('data', onData)
    s.on('error', fail)
    s.on('close', onClose)
    s.write(GREETING)
  })
}

export interface Transfer { gbps: number, bytes: number, secs: number, complete: boolean }

/**
 * One connection receives `total` bytes from the bulk target; timed from the CONNECT reply to the
 * last byte, cut off after `limitSecs` (then the rate of what came, complete: false).
 */
export async function transfer (via: Via, target: number, total: number, limitSecs: number): Promise<Transfer> {
  const { s, first } = await open(via, target, 5000)
  const t0 = process.hrtime.bigint()
  let bytes = first.length
  s.on('data', (d: Buffer) => { bytes += d.length })
  const done = new Promise<void>(resolve => { s.on('close', () => resolve()); s.on('error', () => {}) })
  s.resume()
  let timer: NodeJS.Timeout | undefined
  await Promise.race([done, new Promise(resolve => { timer = setTimeout(resolve, limitSecs * 1000) })])
  clearTimeout(timer)
  const ns = Number(process.hrtime.bigint() - t0)
  s.destroy()
  return { gbps: bytes * 8 / ns, bytes, secs: ns / 1e9, complete: bytes >= total }
}

export interface Rate { rate: number, sessions: number, errors: number, secs: number, firstError?: string }

/**
 * Short sessions, `conc` in flight, for `secs`: open (greeting + CONNECT), read the target's one
 * byte, see the connection closed. Sessions per second of wall time.
 */
export async function sessionRate (via: Via, target: number, secs: number, conc: number): Promise<Rate> {
  const start = performance.now()
  const end = start + secs * 1000
  let sessions = 0; let errors = 0; let firstError: string | undefined
  const one = async (): Promise<void> => {
    const { s, first } = await open(via, target, 5000)
    await new Promise<void>((resolve, reject) => {
      let got = first.length
      const timer = setTimeout(() => { s.destroy(); reject(new Error('session did not end')) }, 5000)
      s.on('data', (d: Buffer) => { got += d.length })
      s.on('error', () => {})
      s.on('close', () => { clearTimeout(timer); got === 1 ? resolve() : reject(new Error(`got ${got} bytes, not 1`)) })
      s.resume()
    })
  }
  const worker = async (): Promise<void> => {
    while (performance.now() < end && errors < 1000) {
      try { await one(); sessions++ } catch (err) {
        errors++; firstError ??= (err as Error).message
        await new Promise(resolve => setTimeout(resolve, 10)) // back off rather than spin on a failing path
      }
    }
  }
  await Promise.all(Array.from({ length: conc }, worker))
  const took = (performance.now() - start) / 1000
  return { rate: sessions / took, sessions, errors, secs: took, ...(firstError != null ? { firstError } : {}) }
}
