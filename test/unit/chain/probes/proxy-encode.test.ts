import t from 'tap'
import { encodeProxyV1, encodeProxyV2, parseProxyHeader } from '../../../../src/chain/probes/proxy-protocol.ts'

function code (fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

t.test('v1 bytes', async t => {
  t.equal(encodeProxyV1({ address: '192.168.0.1', port: 56324 }, { address: '192.168.0.11', port: 443 }).toString(), 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n', 'the spec\'s example')
  t.equal(encodeProxyV1({ address: '2001:DB8:0::1', port: 1 }, { address: '::1', port: 2 }).toString(), 'PROXY TCP6 2001:db8::1 ::1 1 2\r\n', 'IPv6 canonical')
})

t.test('v2 bytes match the haproxy capture', async t => {
  const wire = encodeProxyV2({ address: '172.19.0.1', port: 42578 }, { address: '172.19.0.3', port: 80 })
  t.equal(wire.toString('hex'), '0d0a0d0a000d0a515549540a2111000cac130001ac130003a6520050')
  const local = encodeProxyV2(undefined, undefined, { command: 'local' })
  t.equal(local.toString('hex'), '0d0a0d0a000d0a515549540a20000000')
})

t.test('addresses from dual-stack sockets', async t => {
  const mapped = { address: '::ffff:203.0.113.9', port: 40000 }
  const local = { address: '::ffff:127.0.0.1', port: 443 }
  t.equal(encodeProxyV1(mapped, local).toString(), 'PROXY TCP4 203.0.113.9 127.0.0.1 40000 443\r\n', 'IPv4-mapped pairs go as TCP4')
  t.equal(encodeProxyV1({ address: '203.0.113.9', port: 1 }, { address: '2001:db8::1', port: 2 }).toString(), 'PROXY TCP6 ::ffff:203.0.113.9 2001:db8::1 1 2\r\n', 'a mixed pair goes as TCP6 with the IPv4 side mapped')
  const r = parseProxyHeader(encodeProxyV2(mapped, local))
  t.same(r.status === 'done' && [r.header.transport, r.header.source, r.header.destination], ['tcp4', { address: '203.0.113.9', port: 40000 }, { address: '127.0.0.1', port: 443 }])
  const m = parseProxyHeader(encodeProxyV2({ address: '203.0.113.9', port: 1 }, { address: '2001:db8::1', port: 2 }))
  t.same(m.status === 'done' && m.header.source, { address: '::ffff:203.0.113.9', port: 1 })
})

t.test('bad arguments are coded errors', async t => {
  const ok = { address: '10.0.0.1', port: 1 }
  t.equal(code(() => encodeProxyV1({ address: 'example.com', port: 1 }, ok)), 'CHAIN_ERR_PROXY_BAD_ENCODE')
  t.equal(code(() => encodeProxyV1({ address: 'fe80::1%eth0', port: 1 }, ok)), 'CHAIN_ERR_PROXY_BAD_ENCODE', 'zone ids cannot be sent')
  t.equal(code(() => encodeProxyV1({ address: '10.0.0.2', port: 65536 }, ok)), 'CHAIN_ERR_PROXY_BAD_ENCODE')
  t.equal(code(() => encodeProxyV1({ address: '10.0.0.2', port: 1.5 }, ok)), 'CHAIN_ERR_PROXY_BAD_ENCODE')
  t.equal(code(() => encodeProxyV2(undefined, ok)), 'CHAIN_ERR_PROXY_BAD_ENCODE', 'PROXY needs both ends')
  t.equal(code(() => encodeProxyV2(ok, ok, { tlvs: [{ type: 256, value: Buffer.alloc(0) }] })), 'CHAIN_ERR_PROXY_BAD_ENCODE')
  t.equal(code(() => encodeProxyV2(ok, ok, { tlvs: [{ type: 1, value: Buffer.alloc(0x10000) }] })), 'CHAIN_ERR_PROXY_BAD_ENCODE')
  t.equal(code(() => encodeProxyV2(ok, ok, { tlvs: [{ type: 1, value: Buffer.alloc(0xfff0) }, { type: 2, value: Buffer.alloc(10) }] })), 'CHAIN_ERR_PROXY_BAD_ENCODE', 'total over 16 bits')
})
