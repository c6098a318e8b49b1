// The tunnel compliance suite: every tunnel kind must pass it (STYLE section 4, SPEC section 3).
// A kind adopts it in about ten lines:
//
//   tunnelCompliance(t, 'tcp', async () => ({ tunnel, listen, dialUrl, refusedUrl, teardown }))
//
// Each case runs on a fresh setup() with its own timeout and bounds every loop. Cases wait on
// events; the only timed waits are the slow-reader window (the reader stays paused for 1.5 s by
// design) and bounded polls where no event exists (a handle finishing its close, a TCP reset that
// only shows on the next write). Streams a case opens are destroyed before teardown() runs.
import type tap from 'tap'
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Tunnel, TunnelListener, TunnelStream } from '../../src/tunnel/types.ts'
import { acceptOne, Collector, readAll, settleHandles, sha256, socketHandles, watchPeerGone } from './stream-helpers.ts'

export type TapTest = Parameters<Parameters<typeof tap.test>[0]>[0]

export interface ComplianceSetup {
  tunnel: Tunnel
  /** A new listener each call (a fresh port or name). */
  listen(): Promise<TunnelListener>
  /** The URL `tunnel.open()` takes to reach `listener` (not always the listener's own URL). */
  dialUrl(listener: TunnelListener): URL
  /** A URL whose open is refused: nothing listens there. */
  refusedUrl(): Promise<URL> | URL
  /** Release everything setup() made. */
  teardown(): Promise<void>
}

const CASE_TIMEOUT_MS = 30_000
const MiB = 1024 * 1024

interface Case {
  s: ComplianceSetup
  /** open() with a 10 s signal unless given one; the stream is destroyed when the case ends. */
  open(listener: TunnelListener, signal?: AbortSignal): Promise<TunnelStream>
  /** open() and accept together: [client end, server end]. */
  connect(listener: TunnelListener): Promise<[TunnelStream, TunnelStream]>
  /** Run `handler` on every stream the listener accepts, until it closes. */
  serve(listener: TunnelListener, handler: (stream: TunnelStream) => void): Promise<void>
  track<S extends TunnelStream>(stream: S): S
  /** Socket handles active before setup() ran. */
  baseline: number
  /** Run teardown() now (it then does not run again at the end of the case). */
  teardownNow(): Promise<void>
}

function echo (stream: TunnelStream): void {
  stream.on('error', () => {}) // the client side asserts; a reset here must not crash the file
  stream.pipe(stream) // pipe() honours backpressure and ends our side when the client ends
}

function defineCase (t: TapTest, name: string, setup: () => Promise<ComplianceSetup>, body: (t: TapTest, c: Case) => Promise<void>): void {
  t.test(name, { timeout: CASE_TIMEOUT_MS }, async t => {
    const baseline = socketHandles().length
    const s = await setup()
    const streams = new Set<TunnelStream>()
    let tornDown = false
    t.teardown(async () => {
      // The case is over: resets these destroys cause on the other ends are expected.
      for (const stream of streams) stream.on('error', () => {})
      for (const stream of streams) stream.destroy()
      if (!tornDown) await s.teardown()
      // Let closing handles finish so the next case starts from a clean baseline (bounded wait;
      // the no-handles case is the one that asserts).
      await settleHandles(baseline)
    })
    const track = <S extends TunnelStream>(stream: S): S => { streams.add(stream); return stream }
    const open = async (listener: TunnelListener, signal = AbortSignal.timeout(10_000)): Promise<TunnelStream> =>
      track(await s.tunnel.open(s.dialUrl(listener), { signal }))
    const c: Case = {
      s,
      baseline,
      teardownNow: async () => { tornDown = true; await s.teardown() },
      track,
      open,
      connect: async (listener) => {
        const [client, server] = await Promise.all([open(listener), acceptOne(listener)])
        return [client, track(server)]
      },
      serve: async (listener, handler) => {
        for await (const stream of listener.accept()) handler(track(stream))
      }
    }
    await body(t, c)
  })
}

export function tunnelCompliance (t: TapTest, name: string, setup: () => Promise<ComplianceSetup>): void {
  t.test(`${name} tunnel compliance`, async t => {
    const it = (title: string, body: (t: TapTest, c: Case) => Promise<void>): void => { defineCase(t, title, setup, body) }

    it('echo', async (t, c) => {
      const l = await c.s.listen()
      void c.serve(l, echo)
      const client = await c.open(l)
      const back = readAll(client)
      client.end('hello, tunnel')
      t.equal((await back).toString(), 'hello, tunnel')
    })

    it('listener reports its real url', async (t, c) => {
      const l = await c.s.listen()
      t.ok(l.url instanceof URL, 'url is a URL')
      t.equal(l.url.protocol, `${c.s.tunnel.scheme}:`, 'url has the kind\'s scheme')
      t.not(l.url.port, '0', 'port 0 is resolved to the bound port')
      void c.serve(l, stream => { stream.end(stream.localUrl.href) })
      const client = await c.open(l)
      t.ok(client.localUrl instanceof URL && client.remoteUrl instanceof URL, 'streams carry their urls')
      t.type(client.id, 'string')
      t.ok((await readAll(client)).length > 0, 'the reported listener is reachable')
    })

    it('two listeners at once', async (t, c) => {
      const [l1, l2] = [await c.s.listen(), await c.s.listen()]
      t.not(l1.url.href, l2.url.href, 'distinct urls')
      void c.serve(l1, stream => { stream.end('one') })
      void c.serve(l2, stream => { stream.end('two') })
      const [a, b] = [await c.open(l1), await c.open(l2)]
      const [ra, rb] = await Promise.all([readAll(a), readAll(b)])
      t.equal(ra.toString(), 'one')
      t.equal(rb.toString(), 'two')
    })

    it('one small write arrives without end()', async (t, c) => {
      const [client, server] = await c.connect(await c.s.listen())
      client.write('ping')
      t.equal((await new Collector(server).atLeast(4)).toString(), 'ping')
      server.write('pong')
      t.equal((await new Collector(client).atLeast(4)).toString(), 'pong')
    })

    it('one 16 MiB write is echoed intact', async (t, c) => {
      const l = await c.s.listen()
      void c.serve(l, echo)
      const client = await c.open(l)
      const payload = randomBytes(16 * MiB)
      const back = readAll(client)
      client.end(payload)
      const got = await back
      t.equal(got.length, payload.length, 'same length')
      t.equal(sha256(got), sha256(payload), 'same SHA-256')
    })

    it('10 000 small writes are echoed in order', async (t, c) => {
      const l = await c.s.listen()
      void c.serve(l, echo)
      const client = await c.open(l)
      const back = readAll(client)
      const sent: Buffer[] = []
      let callbacks = 0
      for (let i = 0; i < 10_000; i++) {
        const b = Buffer.from(`${i};`)
        sent.push(b)
        client.write(b, () => { callbacks++ })
      }
      client.end()
      t.equal(sha256(await back), sha256(...sent), 'same bytes in the same order')
      t.equal(callbacks, 10_000, 'every write completed')
    })

    it('half-close client to server: server sees end and can still answer', async (t, c) => {
      const [client, server] = await c.connect(await c.s.listen())
      const request = readAll(server)
      const response = readAll(client)
      client.end('request')
      t.equal((await request).toString(), 'request', 'server read to end')
      t.ok(server.writable, 'server can still write')
      server.end('response')
      t.equal((await response).toString(), 'response', 'client received the answer after its own end')
    })

    it('half-close server to client: client sees end and can still answer', async (t, c) => {
      const [client, server] = await c.connect(await c.s.listen())
      const toClient = readAll(client)
      const toServer = readAll(server)
      server.end('greeting')
      t.equal((await toClient).toString(), 'greeting', 'client read to end')
      t.ok(client.writable, 'client can still write')
      client.end('reply')
      t.equal((await toServer).toString(), 'reply', 'server received the reply after its own end')
    })

    it('abort before open gives TUN_ERR_ABORTED', async (t, c) => {
      const l = await c.s.listen()
      await t.rejects(c.open(l, AbortSignal.abort()), { code: 'TUN_ERR_ABORTED' })
    })

    it('abort during open gives TUN_ERR_ABORTED', async (t, c) => {
      const l = await c.s.listen()
      const ac = new AbortController()
      const opening = c.open(l, ac.signal)
      ac.abort()
      await t.rejects(opening, { code: 'TUN_ERR_ABORTED' })
    })

    it('refused target gives TUN_ERR_CONNECT_REFUSED', async (t, c) => {
      const url = await c.s.refusedUrl()
      await t.rejects(c.s.tunnel.open(url, { signal: AbortSignal.timeout(10_000) }), { code: 'TUN_ERR_CONNECT_REFUSED' })
    })

    for (const side of ['client', 'server'] as const) {
      it(`${side} destroy() surfaces on the other end`, async (t, c) => {
        const [client, server] = await c.connect(await c.s.listen())
        // Prove the stream works first, so what follows is the destroy and nothing else.
        client.write('a')
        await new Collector(server).atLeast(1)
        const [gone, survivor] = side === 'client' ? [client, server] : [server, client]
        gone.destroy()
        const n = await watchPeerGone(survivor)
        t.ok(n.closed, 'the surviving end closed')
        t.ok(n.error != null || !n.sawEnd, 'noticed as an error, not as a clean end')
        if (n.error != null) t.type(n.error.code, 'string', `the error is coded (${String(n.error.code)})`)
      })
    }

    it('a paused reader bounds the writer', async (t, c) => {
      const CHUNK = 64 * 1024
      const LIMIT = 64 * MiB
      const [client, server] = await c.connect(await c.s.listen())
      // server reads nothing (no 'data' listener, not flowing) until the window is over
      const base = randomBytes(CHUNK)
      const sent = createHash('sha256')
      let accepted = 0
      let maxWritable = 0
      let atOneSecond = -1
      const window = new AbortController()
      const over = sleep(1500, undefined, { signal: window.signal }).then(() => true, () => true)
      const mark = sleep(1000).then(() => { atOneSecond = accepted })
      let windowOver = false
      void over.then(() => { windowOver = true })
      for (let i = 0; !windowOver && accepted < LIMIT; i++) {
        const chunk = Buffer.from(base)
        chunk.writeUInt32BE(i, 0)
        sent.update(chunk)
        accepted += CHUNK
        const ok = client.write(chunk)
        maxWritable = Math.max(maxWritable, client.writableLength)
        if (!ok) {
          const drained = once(client, 'drain', { signal: window.signal }).then(() => false, () => true)
          await Promise.race([drained, over])
        }
      }
      await mark
      window.abort()
      t.ok(accepted < LIMIT / 2, `the writer was held well below 64 MiB (${(accepted / MiB).toFixed(1)} MiB accepted)`)
      t.equal(accepted, atOneSecond, 'accepted bytes stopped growing while the reader was paused')
      t.ok(maxWritable <= client.writableHighWaterMark + CHUNK, `writableLength stayed bounded (max ${maxWritable})`)
      const got = readAll(server) // resumes the reader
      client.end()
      const all = await got
      t.equal(all.length, accepted, 'every accepted byte arrived after resume')
      t.equal(sha256(all), sent.digest('hex'), 'in order and intact')
    })

    it('close() stops accepting; accepted streams keep working', async (t, c) => {
      const l = await c.s.listen()
      const serving = c.serve(l, echo)
      const before = await c.open(l)
      const echoed = new Collector(before)
      before.write('before close;')
      await echoed.atLeast(13)
      t.equal(echoed.text, 'before close;', 'echo works')
      await l.close()
      await serving
      t.pass('accept() iteration ended')
      const err = await c.open(l).then(() => null, (e: Error & { code?: unknown }) => e)
      t.ok(err != null, 'a new open fails')
      t.type(err?.code, 'string', `with a coded error (${String(err?.code)})`)
      const done = once(before, 'end')
      before.end('after close')
      await done
      t.equal(echoed.text, 'before close;after close', 'the accepted stream still echoes')
    })

    it('no handles are left after teardown', async (t, c) => {
      const l = await c.s.listen()
      void c.serve(l, echo)
      const a = await c.open(l)
      const back = readAll(a)
      a.end('x')
      await back
      const ac = new AbortController()
      const aborted = c.open(l, ac.signal)
      ac.abort()
      await aborted.catch(() => {})
      await c.s.tunnel.open(await c.s.refusedUrl(), { signal: AbortSignal.timeout(10_000) }).catch(() => {})
      const client = await c.open(l)
      client.destroy()
      await l.close()
      await once(client, 'close')
      await c.teardownNow()
      const left = await settleHandles(c.baseline)
      t.ok(left.length <= c.baseline, `socket handles back to the baseline (${c.baseline}); left: ${left.join(', ') || 'none'}`)
    })
  })
}
