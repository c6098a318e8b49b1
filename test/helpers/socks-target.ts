// A TCP target for SOCKS tests: on 127.0.0.1 and, on the same port, ::1 when the machine has it,
// so one target serves IPv4, IPv6 and domain requests; hands out the accepted sockets in order.
import net from 'node:net'
import { once } from 'node:events'

interface TestLike { teardown(fn: () => unknown): void }

/** Echo (or custom) TCP target on 127.0.0.1 (and ::1 on the same port when possible). */
export async function echoTarget (t: TestLike, onConn: (s: net.Socket) => void = s => s.pipe(s)): Promise<{ port: number, v6: boolean, next: () => Promise<net.Socket> }> {
  const waiting: Array<(s: net.Socket) => void> = []
  const queued: net.Socket[] = []
  const sockets = new Set<net.Socket>()
  t.teardown(() => { for (const s of sockets) s.destroy() })
  const handle = (s: net.Socket): void => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
    s.on('error', () => {})
    onConn(s)
    const w = waiting.shift()
    if (w != null) w(s); else queued.push(s)
  }
  const v4 = net.createServer({ allowHalfOpen: true }, handle)
  v4.listen(0, '127.0.0.1')
  await once(v4, 'listening')
  t.teardown(() => v4.close())
  const port = (v4.address() as net.AddressInfo).port
  const v6srv = net.createServer({ allowHalfOpen: true }, handle)
  const v6 = await new Promise<boolean>(resolve => {
    v6srv.once('error', () => resolve(false))
    v6srv.listen(port, '::1', () => resolve(true))
  })
  if (v6) t.teardown(() => v6srv.close())
  const next = async (): Promise<net.Socket> => queued.shift() ?? await new Promise<net.Socket>(resolve => waiting.push(resolve))
  return { port, v6, next }
}

/** Connect, write `bytes`, return everything received until the server closes. */
