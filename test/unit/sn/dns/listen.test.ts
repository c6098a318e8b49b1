// Listener setup: the "listening" log line per listener, one port for UDP and TCP when both ask for
// port 0, IPv6 listeners, coded errors for bad addresses, OS errors kept, close() frees the ports.
import t from 'tap'
import dgram from 'node:dgram'
import { once } from 'node:events'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { silentLogger, type Logger } from '../../../../src/core/logger.ts'
import { startDnsServer } from '../../../../src/sn/dns/server.ts'
import { parseListenAddress } from '../../../../src/sn/dns/listen-address.ts'
import { dig } from '../../../helpers/dig.ts'
import { memoryAuthority } from './fixtures.ts'

function capture (): { logger: Logger, lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const sink = new Writable({ write (chunk: Buffer, _enc, cb) { for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l)); cb() } })
  return { logger: pino({ level: 'info' }, sink) as unknown as Logger, lines }
}

t.test('one listening line per listener; UDP and TCP share the port picked for port 0', async t => {
  const { logger, lines } = capture()
  const s = await startDnsServer({ authority: memoryAuthority(), udp: ['127.0.0.1:0'], tcp: ['127.0.0.1:0'], logger })
  t.teardown(async () => await s.close())
  const [udp] = s.addresses.udp; const [tcp] = s.addresses.tcp
  t.equal(udp, tcp, 'same host:port')
  const urls = lines.filter(l => l.msg === 'listening').map(l => l.url).sort()
  t.same(urls, [`dns+tcp://${tcp}`, `dns+udp://${udp}`])
  t.ok(lines.every(l => l.mod === 'sn.dns'))
})

t.test('IPv6 loopback', async t => {
  const s = await startDnsServer({ authority: memoryAuthority(), udp: ['[::1]:0'], tcp: ['[::1]:0'], logger: silentLogger() })
  t.teardown(async () => await s.close())
  t.match(s.addresses.udp[0], /^\[::1\]:\d+$/)
  const port = Number(s.addresses.udp[0].split(':').pop())
  const r = await dig(port, 'alice.sn.test', 'A', { host: '::1' })
  t.same(r.answer.map(a => a.data), ['192.0.2.1'])
  const rt = await dig(port, 'alice.sn.test', 'A', { host: '::1', tcp: true })
  t.equal(rt.transport, 'TCP')
})

t.test('UDP only, TCP only, and separate ports', async t => {
  const a = await startDnsServer({ authority: memoryAuthority(), udp: ['127.0.0.1:0'], logger: silentLogger() })
  t.teardown(async () => await a.close())
  t.same(a.addresses.tcp, [])
  const b = await startDnsServer({ authority: memoryAuthority(), tcp: ['127.0.0.1:0'], logger: silentLogger() })
  t.teardown(async () => await b.close())
  t.same(b.addresses.udp, [])
  const r = await dig(Number(b.addresses.tcp[0].split(':')[1]), 'alice.sn.test', 'A', { tcp: true })
  t.equal(r.status, 'NOERROR')
})

t.test('bad addresses are coded errors; a taken port keeps its OS code and leaves nothing open', async t => {
  t.throws(() => parseListenAddress('::1:53'), { code: 'DNS_ERR_BAD_LISTEN_ADDRESS' })
  t.throws(() => parseListenAddress('127.0.0.1'), { code: 'DNS_ERR_BAD_LISTEN_ADDRESS' })
  t.throws(() => parseListenAddress('127.0.0.1:70000'), { code: 'DNS_ERR_BAD_LISTEN_ADDRESS' })
  t.throws(() => parseListenAddress('[zz]:53'), { code: 'DNS_ERR_BAD_LISTEN_ADDRESS' })
  t.same(parseListenAddress('[::1]:53'), { host: '::1', port: 53 })
  t.same(parseListenAddress('localhost:5353'), { host: 'localhost', port: 5353 })
  await t.rejects(startDnsServer({ authority: memoryAuthority(), logger: silentLogger() }), { code: 'DNS_ERR_NO_LISTENERS' })
  await t.rejects(startDnsServer({ authority: memoryAuthority(), udp: ['nope'], logger: silentLogger() }), { code: 'DNS_ERR_BAD_LISTEN_ADDRESS' })

  const taken = dgram.createSocket('udp4')
  taken.bind(0, '127.0.0.1')
  await once(taken, 'listening')
  t.teardown(() => taken.close())
  const port = taken.address().port
  // The first UDP+TCP pair starts, then the second UDP address fails: the pair is closed again.
  const { logger, lines } = capture()
  await t.rejects(startDnsServer({ authority: memoryAuthority(), tcp: ['127.0.0.1:0'], udp: ['127.0.0.1:0', `127.0.0.1:${port}`], logger }), { code: 'EADDRINUSE' })
  const first = lines.find(l => l.msg === 'listening' && String(l.url).startsWith('dns+udp://'))
  t.ok(first, 'the first pair was listening')
  const freed = Number(String(first?.url).split(':').pop())
  const s = await startDnsServer({ authority: memoryAuthority(), udp: [`127.0.0.1:${freed}`], tcp: [`127.0.0.1:${freed}`], logger: silentLogger() })
  await s.close()
  t.pass('its port is free again')
})

t.test('close() stops answering and frees the port', async t => {
  const s = await startDnsServer({ authority: memoryAuthority(), udp: ['127.0.0.1:0'], tcp: ['127.0.0.1:0'], logger: silentLogger() })
  const port = Number(s.addresses.udp[0].split(':')[1])
  await s.close()
  await s.close() // twice is fine
  const again = await startDnsServer({ authority: memoryAuthority(), udp: [`127.0.0.1:${port}`], tcp: [`127.0.0.1:${port}`], logger: silentLogger() })
  t.teardown(async () => await again.close())
  t.equal((await dig(port, 'alice.sn.test', 'A')).status, 'NOERROR')
})
