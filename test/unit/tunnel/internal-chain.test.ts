// A chain route http_proxy-ing to internal://api, where `api` is a node:http Server fed through
// server.emit('connection', end): the SN's API reached without a port. The client is a real TCP
// socket; the handler sees the request with X-Forwarded-For naming it.
import t from 'tap'
import http from 'node:http'
import { internalTunnel } from '../../../src/tunnel/internal/index.ts'
import { TunnelRegistry } from '../../../src/tunnel/registry.ts'
import { chain, startChains } from '../chain/runtime/harness.ts'

t.test('http_proxy to internal://api reaches an in-process node:http server', { timeout: 15_000 }, async t => {
  const { tunnel, register } = internalTunnel()
  const registry = new TunnelRegistry().register(tunnel)
  t.teardown(() => registry.close())
  const seen: http.IncomingHttpHeaders[] = []
  const api = http.createServer((req, res) => {
    seen.push(req.headers)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ path: req.url }))
  })
  t.teardown(() => api.close())
  register('api', d => api.emit('connection', d))

  const h = await startChains([chain('pub', [{
    id: 'api',
    match: { host: ['sn.test'] },
    process: {
      kind: 'http_proxy',
      proxy: {
        upstreams: [{ url: 'internal://api', weight: 1 }], balance: 'round_robin', connectTimeoutMs: 2000, tries: 1,
        health: { failures: 3, cooldownMs: 1000 }, rewrite: {}, setRequestHeaders: {}, removeRequestHeaders: [],
        xForwarded: true, preserveHost: true, idleTimeoutMs: 5000, responseTimeoutMs: 5000
      }
    }
  }], { probe: ['http'] })], 'pub', { open: async (url, o) => await registry.open(url, o) })
  t.teardown(() => h.close())

  const agent = new http.Agent({ keepAlive: true })
  t.teardown(() => agent.destroy())
  for (const path of ['/v1/zones/alice.sn.test', '/second']) {
    const body = await new Promise<{ status?: number, text: string }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: h.port, path, headers: { host: 'sn.test' }, agent }, res => {
        let text = ''
        res.on('data', (d: Buffer) => { text += d.toString() })
        res.on('end', () => resolve({ status: res.statusCode, text }))
      }).on('error', reject)
    })
    t.same(body, { status: 200, text: JSON.stringify({ path }) })
  }
  t.equal(seen.length, 2)
  t.equal(seen[0]['x-forwarded-for'], '127.0.0.1', 'the real client reaches the handler')
  t.equal(seen[0].host, 'sn.test')
  t.equal(seen[0]['x-forwarded-proto'], 'http')
})
