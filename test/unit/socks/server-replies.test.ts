// Which reply code a failure gets: the mapping table on fabricated errors (no DNS, no routing
// needed), and a real connect timeout against a blackholed loopback port.
import t from 'tap'
import { replyCodeFor } from '../../../src/socks/server-replies.ts'
import { TUN_ERR_CONNECT_REFUSED, TUN_ERR_CONNECT_TIMEOUT, TUN_ERR_UNREACHABLE } from '../../../src/tunnel/errors.ts'
import { SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED } from '../../../src/socks/errors.ts'
import { blackholePort } from '../../helpers/blackhole.ts'
import { connectBytes, rawExchange, startServer } from './server-fixtures.ts'

const os = (code: string): Error => Object.assign(new Error(code), { code })

t.test('replyCodeFor', async t => {
  t.equal(replyCodeFor(new TUN_ERR_CONNECT_REFUSED('x', { cause: os('ECONNREFUSED') })), 0x05)
  t.equal(replyCodeFor(os('ECONNREFUSED')), 0x05)
  t.equal(replyCodeFor(new TUN_ERR_UNREACHABLE('x', { cause: os('ENETUNREACH') })), 0x03)
  t.equal(replyCodeFor(new TUN_ERR_UNREACHABLE('x', { cause: os('EHOSTUNREACH') })), 0x04)
  t.equal(replyCodeFor(new TUN_ERR_UNREACHABLE('x', { cause: os('ENOTFOUND') })), 0x04)
  t.equal(replyCodeFor(new TUN_ERR_UNREACHABLE('x')), 0x04)
  t.equal(replyCodeFor(new TUN_ERR_CONNECT_TIMEOUT('x', 5)), 0x04, 'timeout → host unreachable (documented choice)')
  t.equal(replyCodeFor(os('ETIMEDOUT')), 0x04)
  t.equal(replyCodeFor(new SOCKS_ERR_ADDRESS_TYPE_NOT_SUPPORTED('07')), 0x08, 'a codec error\'s own socksReply')
  t.equal(replyCodeFor(new Error('other')), 0x01)
  t.equal(replyCodeFor(undefined), 0x01)
  t.equal(replyCodeFor('string'), 0x01)
})

t.test('a connect that hangs is answered 0x04 after connectTimeoutMs', async t => {
  const hole = await blackholePort(t)
  const { port, nextSession } = await startServer(t, { connectTimeoutMs: 200 })
  const start = performance.now()
  const { data } = await rawExchange(port, connectBytes('127.0.0.1', hole))
  t.same([...data.subarray(2, 4)], [5, 0x04])
  t.ok(performance.now() - start >= 150)
  t.equal((await nextSession()).reply, 0x04)
})
