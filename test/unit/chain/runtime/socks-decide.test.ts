// How a SOCKS request's route becomes the engine's decision.
import t from 'tap'
import { socksTargetUrl, decideSocks } from '../../../../src/chain/runtime/socks-decide.ts'
import { compileChainSet } from '../../../../src/chain/runtime/chain-set.ts'
import { silentLogger } from '../../../../src/core/logger.ts'
import { normalizeChains } from '../../../../src/config/chain-normalize.ts'

const req = { command: 'connect' as const, host: 'nas.example.test', port: 8080 }

t.test('forward URLs without a target get the request\'s port or host:port', async t => {
  t.equal(socksTargetUrl('rtcp://home/', req), 'rtcp://home/:8080')
  t.equal(socksTargetUrl('rtcp://home', req), 'rtcp://home/:8080')
  t.equal(socksTargetUrl('socks://10.0.0.1:1080', req), 'socks://10.0.0.1:1080/nas.example.test:8080')
  t.equal(socksTargetUrl('socks://p:1080/', { ...req, host: '2001:db8::1' }), 'socks://p:1080/[2001:db8::1]:8080')
  t.equal(socksTargetUrl('rtcp://home/:22', req), 'rtcp://home/:22', 'a URL with a target is kept')
  t.equal(socksTargetUrl('tcp://127.0.0.1:9', req), 'tcp://127.0.0.1:9')
})

t.test('routes decide by target, port and login', async t => {
  const chains = normalizeChains({
    s: {
      routes: [
        { id: 'admin', match: { user: 'root' }, process: { reject: true } },
        { id: 'nas', match: { target: '*.example.test', target_port: [80, 8080] }, process: { forward: 'rtcp://home/' } },
        { id: 'web', match: { target_port: 443 }, process: { direct: true } },
        { id: 'odd', match: { target: 'odd.test' }, process: { respond: 200 } }
      ]
    }
  }, { dir: '/', peers: new Map(), pos: () => undefined })
  const set = await compileChainSet(chains, { open: async () => { throw new Error('unused') }, logger: silentLogger() })
  const decide = (socks: typeof req & { user?: string }) => decideSocks(set, 's', { stack: 'x', localPort: 0, source: { address: '127.0.0.1', port: 1 }, socks })
  t.same(decide(req), { decision: { action: 'tunnel', url: 'rtcp://home/:8080' }, route: 'nas' })
  t.same(decide({ ...req, port: 443 }), { decision: { action: 'direct' }, route: 'web' })
  t.same(decide({ ...req, user: 'root' }), { decision: { action: 'reject', reply: 2 }, route: 'admin' })
  t.same(decide({ ...req, host: 'odd.test', port: 1 }), { decision: { action: 'reject', reply: 1 }, route: 'odd' }, 'an HTTP action cannot answer SOCKS')
  t.same(decide({ ...req, host: 'x.test', port: 1 }), { decision: { action: 'reject', reply: 2 } }, 'no route: not allowed')
})
