// The decoders of untrusted text in discovery: instance reports and info values (written by any
// device of the zone) and service:// URLs (from configuration and callers).
import t from 'tap'
import fc from 'fast-check'
import {
  parseInstanceReport, parseServiceInfo, parseInstanceKey, pickPort, isLive, MAX_REPORT_CHARS
} from '../../../src/discovery/records.ts'
import { parseServiceUrl } from '../../../src/discovery/tunnel.ts'
import { weightedOrder } from '../../../src/discovery/resolver.ts'
import { hostileJson } from '../../helpers/hostile-json.ts'

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (err) {
    return (err as { code?: string }).code ?? `uncoded: ${String(err)}`
  }
}

t.test('a valid report decodes; defaults and bounds apply', async t => {
  const r = parseInstanceReport(JSON.stringify({ state: 'running', ports: { http: 8080, admin: 9000 }, pid: 42, expires_at: 5000 }))
  t.same(r, { state: 'running', ports: { http: 8080, admin: 9000 }, weight: 1, pid: 42, expires_at: 5000 })
  t.ok(isLive(r, 4999))
  t.notOk(isLive(r, 5000), 'expired at expires_at')
  t.notOk(isLive({ ...r, state: 'stopping' }, 0))
  for (const bad of [
    '', 'null', '[]', '{"state":"running","ports":{},"expires_at":"soon"}',
    '{"state":"running","ports":{"http":0},"expires_at":1}',
    '{"state":"running","ports":{"HTTP":80},"expires_at":1}',
    '{"state":"running","ports":[80],"expires_at":1}',
    '{"state":"running","ports":{"http":80},"expires_at":1,"weight":0}',
    '{"state":"running","ports":{"http":80},"expires_at":1,"pid":-1}',
    '{"state":1,"ports":{"http":80},"expires_at":1}',
    'x'.repeat(MAX_REPORT_CHARS + 1)
  ]) t.equal(codeOf(() => parseInstanceReport(bad)), 'SVC_ERR_BAD_INSTANCE', bad.slice(0, 60))
})

t.test('random text and random JSON give a report or SVC_ERR_BAD_INSTANCE, never a crash', async t => {
  const portsLike = fc.dictionary(fc.oneof(fc.constantFrom('http', 'grpc', '__proto__', 'constructor'), fc.string()), fc.oneof(fc.integer(), fc.double(), hostileJson))
  const reportLike = fc.record({
    state: fc.oneof(fc.constant('running'), hostileJson),
    ports: fc.oneof(portsLike, hostileJson),
    weight: fc.oneof(fc.double(), hostileJson),
    pid: fc.oneof(fc.integer(), hostileJson),
    expires_at: fc.oneof(fc.double(), hostileJson)
  }, { requiredKeys: [] })
  const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.jsonValue().map(v => JSON.stringify(v)), reportLike.map(v => JSON.stringify(v)))
  fc.assert(fc.property(text, s => {
    const code = codeOf(() => parseInstanceReport(s))
    return code === undefined || code === 'SVC_ERR_BAD_INSTANCE'
  }), { interruptAfterTimeLimit: 4000, numRuns: 200_000 })
  const infoLike = fc.record({ instances: fc.oneof(fc.array(fc.record({ node: fc.oneof(fc.constant('n1'), fc.string()), ports: portsLike, weight: fc.double() }, { requiredKeys: [] })), hostileJson), revision: hostileJson }, { requiredKeys: [] })
  fc.assert(fc.property(fc.oneof(fc.string(), infoLike.map(v => JSON.stringify(v))), s => {
    const code = codeOf(() => parseServiceInfo(s))
    return code === undefined || code === 'SVC_ERR_BAD_INSTANCE'
  }), { interruptAfterTimeLimit: 4000, numRuns: 200_000 })
  t.pass('only coded errors')
})

t.test('prototype keys are not port names', async t => {
  t.equal(codeOf(() => parseInstanceReport('{"state":"running","ports":{"__proto__":80},"expires_at":1}')), 'SVC_ERR_BAD_INSTANCE')
  t.equal(codeOf(() => parseInstanceReport('{"state":"running","ports":{"constructor":80},"expires_at":1}')), undefined, 'an own key named constructor is just a name')
})

t.test('instance keys', async t => {
  t.same(parseInstanceKey('services/web/instances/node-1'), { service: 'web', node: 'node-1' })
  t.equal(parseInstanceKey('services/web/info'), undefined)
  t.equal(parseInstanceKey('services/Web/instances/n'), undefined)
  t.equal(parseInstanceKey('services/web/instances/n/x'), undefined)
})

t.test('port choice', async t => {
  t.equal(pickPort({ grpc: 9000 }), 9000, 'the only port')
  t.equal(pickPort({ grpc: 9000, http: 8080 }), 8080, 'else http')
  t.equal(pickPort({ grpc: 9000, admin: 1 }), undefined, 'else none')
  t.equal(pickPort({ grpc: 9000 }, 'grpc'), 9000)
  t.equal(pickPort({ grpc: 9000 }, 'toString'), undefined, 'own keys only')
})

t.test('service URLs', async t => {
  t.same(parseServiceUrl('service://web/'), { service: 'web' })
  t.same(parseServiceUrl('service://web'), { service: 'web' })
  t.same(parseServiceUrl('service://web/grpc'), { service: 'web', portName: 'grpc' })
  t.same(parseServiceUrl('service://web:http/'), { service: 'web', portName: 'http' }, 'the host:portName spelling, as text')
  t.same(parseServiceUrl('service://web:8080/'), { service: 'web', portName: '8080' })
  t.same(parseServiceUrl(new URL('service://web/http')), { service: 'web', portName: 'http' })
  for (const bad of ['tcp://web/', 'service://Web/', 'service://web/a/b', 'service://u:p@web/', 'service://web/?x=1', 'service://web:80/http', 'service:///', 'nonsense']) {
    t.equal(codeOf(() => parseServiceUrl(bad)), 'SVC_ERR_BAD_URL', bad)
  }
  fc.assert(fc.property(fc.oneof(fc.string(), fc.string().map(s => 'service://' + s), fc.webUrl().map(u => u.replace(/^https?/, 'service'))), s => {
    const code = codeOf(() => parseServiceUrl(s))
    return code === undefined || code === 'SVC_ERR_BAD_URL'
  }), { interruptAfterTimeLimit: 3000, numRuns: 100_000 })
})

t.test('weighted order puts heavier items first in proportion', async t => {
  const items = [{ id: 'a', weight: 1 }, { id: 'b', weight: 2 }, { id: 'c', weight: 1 }]
  const first: Record<string, number> = { a: 0, b: 0, c: 0 }
  for (let i = 0; i < 4000; i++) first[weightedOrder(items)[0].id]++
  t.ok(first.b > 1800 && first.b < 2200, `b leads half the time (${first.b})`)
  t.same(weightedOrder(items).map(i => i.id).sort(), ['a', 'b', 'c'], 'a permutation')
})
