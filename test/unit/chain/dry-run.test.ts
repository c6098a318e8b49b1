// The dry run walks the same tables as the gateway: checked against the example edge config.
import t from 'tap'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadConfig } from '../../../src/config/load.ts'
import type { GatewayConfig } from '../../../src/config/types.ts'
import { dryRun } from '../../../src/chain/dry-run.ts'

const EDGE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'configs', 'gateway-edge.yaml')

t.test('dry runs against configs/gateway-edge.yaml', async t => {
  const c = await loadConfig(EDGE, 'gateway') as GatewayConfig
  const walk = (input: Record<string, unknown>, stack = 'public_tls') => {
    const s = c.stacks.find(x => x.id === stack)!
    return dryRun(c.chains, { stack: s.id, chain: s.chain, ...input })
  }
  const nas = walk({ sni: 'nas.example.test' })
  t.equal(nas.steps.length, 1)
  t.equal(nas.steps[0].route?.spec.id, 'nas')
  t.match(nas.outcome, /^forward to rtcp:\/\/home\/:443/)

  const api = walk({ url: new URL('https://app.example.test/api/users') })
  t.same(api.steps.map(s => [s.chain, s.route?.spec.id]), [['ingress', 'zone'], ['zone_http', 'api']], 'followed tls_terminate into zone_http')
  t.match(api.outcome, /^http_proxy to rtcp:\/\/home\/:3000, tcp:\/\/127\.0\.0\.1:3000 \(least_time\)/)
  t.ok(api.steps[0].trace.some(l => /nas/.test(l)), 'the trace says why nas did not match')

  const admin = walk({ url: new URL('https://www.example.test/admin/x'), source: '203.0.113.5' })
  t.equal(admin.steps[1].route?.spec.id, 'admin_outside')
  const adminHome = walk({ url: new URL('https://www.example.test/admin/x'), source: '192.168.1.20' })
  t.equal(adminHome.steps[1].route?.spec.id, 'admin')

  const other = walk({ sni: 'evil.test' })
  t.equal(other.steps[0].route?.spec.id, 'unknown_name')

  const plain = walk({ url: new URL('http://www.example.test/.well-known/acme-challenge/tok') }, 'public_http')
  t.equal(plain.steps[0].route?.spec.id, 'acme')
  const redirect = walk({ url: new URL('http://www.example.test/x') }, 'public_http')
  t.match(redirect.outcome, /^redirect 308 to https:\/\/\{host\}\{uri\}/)
})
