import t from 'tap'
import { parseHostPort } from '../../../src/config/host-port.ts'

t.test('valid addresses', async t => {
  t.same(parseHostPort('127.0.0.1:4430', 'listen'), { host: '127.0.0.1', port: 4430 })
  t.same(parseHostPort('0.0.0.0:0', 'listen'), { host: '0.0.0.0', port: 0 }, 'port 0 to listen on a free port')
  t.same(parseHostPort('[::1]:80', 'listen'), { host: '::1', port: 80 })
  t.same(parseHostPort('[::]:4433', 'listen'), { host: '::', port: 4433 })
  t.same(parseHostPort('sn.example.net:4433', 'dial'), { host: 'sn.example.net', port: 4433 })
  t.same(parseHostPort('localhost:65535', 'dial'), { host: 'localhost', port: 65535 })
})

t.test('invalid addresses give a reason', async t => {
  const cases: Array<[string, 'listen' | 'dial', RegExp]> = [
    ['127.0.0.1', 'listen', /must be host:port/],
    ['127.0.0.1:', 'listen', /bad port ""/],
    ['127.0.0.1:http', 'dial', /bad port "http"/],
    ['127.0.0.1:65536', 'listen', /out of range 0-65535/],
    ['sn:0', 'dial', /out of range 1-65535/],
    ['::1:80', 'listen', /must be written in brackets/],
    ['[127.0.0.1]:80', 'listen', /not an IPv6 address/],
    ['localhost:80', 'listen', /listen on an IP address/],
    ['bad_host:80', 'dial', /not a host name or IP address/],
    ['-x.example:80', 'dial', /not a host name/],
    [':80', 'dial', /not a host name/]
  ]
  for (const [text, use, reason] of cases) t.match(parseHostPort(text, use), reason, `${text} (${use})`)
})
