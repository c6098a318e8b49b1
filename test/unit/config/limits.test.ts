import t from 'tap'
import { readFile } from 'node:fs/promises'
import { RTCP_LIMITS } from '../../../src/config/limits.ts'
import { configSchema, ROLES } from '../../../src/config/schema.ts'
import { loadConfigText } from '../../../src/config/load.ts'
import { parseDuration, parseSize } from '../../../src/config/units.ts'

const DOC = new URL('../../../docs/limits.md', import.meta.url)

t.test('every limit has a row in docs/limits.md with its default', async t => {
  const doc = await readFile(DOC, 'utf8')
  for (const l of RTCP_LIMITS) {
    const row = doc.split('\n').find(line => line.startsWith(`| \`${l.key}\` |`))
    t.ok(row, `${l.key} has a row`)
    t.equal(row?.split('|')[2].trim(), String(l.default), `${l.key} default`)
  }
  const rows = doc.split('\n').filter(line => /^\| `[a-z_.]+` \|/.test(line))
  t.equal(rows.length, RTCP_LIMITS.length, 'no row for a limit that does not exist')
})

t.test('every limit is in both schemas with a description and a default', async t => {
  for (const role of ROLES) {
    const rtcp = configSchema(role).properties.rtcp as unknown as { properties: Record<string, { properties: Record<string, { description?: string, default?: unknown }> }> }
    for (const l of RTCP_LIMITS) {
      const [section, key] = l.key.split('.')
      const s = rtcp.properties[section]?.properties[key]
      t.ok(s?.description, `${role} ${l.key} description`)
      t.equal(s?.default, l.default, `${role} ${l.key} default`)
    }
  }
})

t.test('the defaults are what a config without limits gets', async t => {
  const c = loadConfigText('role: gateway\ndevice: { key: k }\n', 'x.yaml')
  const r = c.rtcp
  const got: Record<string, number> = {
    'limits.max_streams_per_tunnel': r.limits.maxStreamsPerTunnel,
    'limits.max_pending_handshakes': r.limits.maxPendingHandshakes,
    'limits.handshake_timeout': r.limits.handshakeTimeoutMs,
    'limits.handshake_rate_per_ip': r.limits.handshakeRatePerIp,
    'limits.stream_open_rate': r.limits.streamOpenRate,
    'limits.stream_buffer': r.limits.streamBufferBytes,
    'limits.stream_open_timeout': r.limits.streamOpenTimeoutMs,
    'keepalive.interval': r.keepalive.intervalMs,
    'keepalive.timeout': r.keepalive.timeoutMs,
    'reconnect.initial': r.reconnect.initialMs,
    'reconnect.max': r.reconnect.maxMs,
    'relay.pending_timeout': r.relay.pendingTimeoutMs,
    'relay.max_relayed_connections': r.relay.maxRelayedConnections
  }
  t.same(Object.keys(got).sort(), RTCP_LIMITS.map(l => l.key).sort())
  for (const l of RTCP_LIMITS) {
    const want = l.kind === 'duration' ? parseDuration(l.default) : l.kind === 'size' ? parseSize(l.default) : l.default
    t.equal(got[l.key], want, l.key)
  }
})

t.test('the chain defaults in docs/limits.md are the ones the loader applies', async t => {
  const { CHAIN_DEFAULTS } = await import('../../../src/config/chain-schema.ts')
  const doc = await readFile(DOC, 'utf8')
  const rows: Array<[string, string | number]> = [
    ['`probe_timeout` (chain)', CHAIN_DEFAULTS.probeTimeout],
    ['`probe_max_bytes` (chain)', CHAIN_DEFAULTS.probeMaxBytes],
    ['`connect_timeout` (upstreams)', CHAIN_DEFAULTS.connectTimeout],
    ['`tries` (upstreams)', CHAIN_DEFAULTS.tries],
    ['`health.failures` (upstreams)', CHAIN_DEFAULTS.healthFailures],
    ['`health.cooldown` (upstreams)', CHAIN_DEFAULTS.healthCooldown],
    ['`handshake_timeout` (tls_terminate)', CHAIN_DEFAULTS.handshakeTimeout],
    ['`idle_timeout` (http_proxy)', CHAIN_DEFAULTS.idleTimeout],
    ['`response_timeout` (http_proxy)', CHAIN_DEFAULTS.responseTimeout]
  ]
  for (const [name, value] of rows) {
    const row = doc.split('\n').find(line => line.startsWith(`| ${name} |`))
    t.equal(row?.split('|')[2].trim(), String(value), name)
  }
})
