// A loopback TCP port that was free a moment ago: bind port 0, note the port, close. For
// "connection refused" cases; nothing listens there unless another process grabs it meanwhile.
import net from 'node:net'
import { once } from 'node:events'

export async function closedPort (host = '127.0.0.1'): Promise<number> {
  const srv = net.createServer()
  srv.listen(0, host)
  await once(srv, 'listening')
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>(resolve => srv.close(() => resolve()))
  return port
}
