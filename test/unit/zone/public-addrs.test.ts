// The default DDNS addresses: the interfaces' addresses another machine could reach.
import t from 'tap'
import { publicInterfaceAddrs } from '../../../src/zone/public-addrs.ts'

t.test('publicInterfaceAddrs keeps reachable addresses only', async t => {
  const iface = (address: string, family: 'IPv4' | 'IPv6', internal = false) => ({ address, family, internal, netmask: '', mac: '', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) })
  t.same(publicInterfaceAddrs({
    lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
    eth0: [iface('192.0.2.5', 'IPv4'), iface('fe80::1', 'IPv6'), iface('2001:db8::5', 'IPv6'), iface('169.254.3.3', 'IPv4')],
    eth1: [iface('192.0.2.5', 'IPv4')]
  } as never), ['192.0.2.5', '2001:db8::5'])
  t.ok(Array.isArray(publicInterfaceAddrs()), 'reads the real interfaces')
})
