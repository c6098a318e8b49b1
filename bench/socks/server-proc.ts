// node bench/socks/server-proc.ts PORT — zonegate's SOCKS5 engine alone in its own process, for the
// SOCKS benchmark: the engine is not wired into the gateway config yet, so this is what a gateway
// would run for a socks stack (every request "direct", opened through a registry with tcp).
// Its own process so that the bench reads its CPU from /proc like the other proxies'.
import net from 'node:net'
import { createSocksServer } from '../../src/socks/server.ts'
import { TunnelRegistry } from '../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../src/tunnel/tcp/index.ts'
import { silentLogger } from '../../src/core/logger.ts'

const port = Number(process.argv[2])
const logger = silentLogger()
const registry = new TunnelRegistry().register(tcpTunnel({ logger }))
const engine = createSocksServer({
  decide: () => ({ action: 'direct' }),
  open: async (url, o) => await registry.open(url, o),
  logger
}, {
  // Every load session comes from 127.0.0.1: the per-client cap (64 by default) must not be what
  // is measured when closing sessions overlap with the next 32 in flight.
  maxSessionsPerClient: 10_000
})
// allowHalfOpen as in the engine's tests: the engine decides when each side ends.
net.createServer({ allowHalfOpen: true }, s => { void engine.handle(s) })
  .listen(port, '127.0.0.1', () => { process.stdout.write('ready\n') })
// Exit normally on the bench's SIGTERM, so that a run under --cpu-prof writes its profile.
process.on('SIGTERM', () => process.exit(0))
