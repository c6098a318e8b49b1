import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { splice } from '../../../src/tunnel/pipe.ts'

// Two socket pairs joined by splice(): client ⇄ [a | splice | b] ⇄ server
async function pair (): Promise<[net.Socket, net.Socket, () => void]> {
  const srv = net.createServer({ allowHalfOpen: true })
  srv.listen(0, '127.0.0.1'); await once(srv, 'listening')
  const accepted = once(srv, 'connection')
  const c = net.connect({ port: (srv.address() as net.AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true })
  const [s] = await accepted as [net.Socket]
  return [c, s, () => srv.close()]
}

t.test('splice keeps half-close both ways and counts bytes', async t => {
  const [client, a, close1] = await pair()
  const [b, server, close2] = await pair()
  t.teardown(() => { close1(); close2() })
  const done = splice(a, b)
  const serverGot: Buffer[] = []
  server.on('data', d => serverGot.push(d))
  client.end('request')
  await once(server, 'end')
  t.equal(Buffer.concat(serverGot).toString(), 'request', 'server got the request and its end')
  // the other direction still flows after the client's half-close
  const clientGot: Buffer[] = []
  client.on('data', d => clientGot.push(d))
  server.end('response after half-close')
  await once(client, 'end')
  t.equal(Buffer.concat(clientGot).toString(), 'response after half-close')
  const r = await done
  t.same(r, { aToB: 7, bToA: 25 })
})

t.test('an error on one side destroys the other', async t => {
  const [client, a, close1] = await pair()
  const [b, server, close2] = await pair()
  t.teardown(() => { close1(); close2() })
  const clientError = once(client, 'error')
  const done = splice(a, b)
  server.resetAndDestroy()
  await t.rejects(done)
  const [err] = await clientError
  t.equal(err.code, 'ECONNRESET', 'the reset reaches the client as a reset')
})
