// The tunnel URL grammar: scheme://[params@]remote[:port]/target (SPEC section 3).
import t from 'tap'
import { formatTarget, hostOf, parseTarget, parseTunnelUrl, targetOf, targetText } from '../../../src/tunnel/url.ts'
import type { TunnelTarget } from '../../../src/tunnel/types.ts'

function plain (target: TunnelTarget): unknown {
  return target.kind === 'url' ? { kind: 'url', url: target.url.href } : target
}

t.test('targets', async t => {
  const cases: Array<[string, unknown]> = [
    ['rtcp://sn', { kind: 'none' }],
    ['rtcp://sn/', { kind: 'none' }],
    ['rtcp://ood/:8080', { kind: 'port', port: 8080 }],
    ['rtcp://ood/example.com:443', { kind: 'host', host: 'example.com', port: 443 }],
    ['rtcp://ood/10.0.0.2:22', { kind: 'host', host: '10.0.0.2', port: 22 }],
    ['rtcp://ood/[::1]:80', { kind: 'host', host: '::1', port: 80 }],
    ['rtcp://local/web_ui', { kind: 'name', name: 'web_ui' }],
    ['rtcp://sn/<rtcp://ood2/:80>', { kind: 'url', url: 'rtcp://ood2/:80' }],
    ['rtcp://sn/' + encodeURIComponent('rtcp://ood2/:80'), { kind: 'url', url: 'rtcp://ood2/:80' }],
    ['rtcp://sn/' + encodeURIComponent('rtcp://ood2/' + encodeURIComponent('tcp://10.0.0.5:22')),
      { kind: 'url', url: 'rtcp://ood2/' + encodeURIComponent('tcp://10.0.0.5:22') }]
  ]
  for (const [input, want] of cases) t.same(plain(targetOf(new URL(input))), want, input)
})

t.test('a nested URL is itself a tunnel URL with its own target', async t => {
  const outer = targetOf(new URL('rtcp://sn/' + encodeURIComponent('rtcp://ood2/:80')))
  if (outer.kind !== 'url') throw new Error(`expected a nested URL, got ${outer.kind}`)
  t.equal(outer.url.hostname, 'ood2')
  t.same(targetOf(outer.url), { kind: 'port', port: 80 })
})

t.test('bad ports, hosts and percent-encoding are TUN_ERR_INVALID_URL', async t => {
  const bad = [
    'rtcp://ood/:0', 'rtcp://ood/:65536', 'rtcp://ood/:99999', 'rtcp://ood/:abc', 'rtcp://ood/:-1', 'rtcp://ood/:',
    'rtcp://ood/host:0', 'rtcp://ood/host:123456', 'rtcp://ood/[::1]:70000',
    'rtcp://ood/a%20b:80', 'rtcp://ood/%E0%A4%A', 'rtcp://ood/%zz', 'rtcp://ood/%',
    'rtcp://ood/' + encodeURIComponent('rtcp://[bad/:80')
  ]
  for (const input of bad) t.throws(() => targetOf(new URL(input)), { code: 'TUN_ERR_INVALID_URL' }, input)
})

t.test('parseTunnelUrl', async t => {
  const u = new URL('tcp://127.0.0.1:1')
  t.equal(parseTunnelUrl(u), u, 'a URL passes through')
  t.equal(parseTunnelUrl('tcp://127.0.0.1:8080').port, '8080')
  t.throws(() => parseTunnelUrl('not a url'), { code: 'TUN_ERR_INVALID_URL' })
  t.throws(() => parseTunnelUrl('tcp://[::1'), { code: 'TUN_ERR_INVALID_URL' })
})

t.test('formatTarget and targetText round-trip through targetOf and parseTarget', async t => {
  const targets: TunnelTarget[] = [
    { kind: 'none' },
    { kind: 'port', port: 8080 },
    { kind: 'host', host: 'example.com', port: 443 },
    { kind: 'host', host: '::1', port: 80 },
    { kind: 'name', name: 'svc' },
    { kind: 'url', url: new URL('rtcp://ood2/:80') }
  ]
  for (const target of targets) {
    const url = new URL('rtcp://sn' + formatTarget(target))
    t.same(plain(targetOf(url)), plain(target), `formatTarget ${url.href}`)
    t.same(plain(parseTarget(targetText(url))), plain(target), `targetText "${targetText(url)}"`)
  }
})

t.test('hostOf strips IPv6 brackets', async t => {
  t.equal(hostOf(new URL('tcp://[::1]:80')), '::1')
  t.equal(hostOf(new URL('tcp://127.0.0.1:80')), '127.0.0.1')
})
