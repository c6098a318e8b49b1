// The mem:// kind passes the tunnel compliance suite, so chain and socks unit tests can rely on it.
import t from 'tap'
import { tunnelCompliance } from '../../compliance/tunnel.suite.ts'
import { memoryTunnel } from '../../../src/tunnel/memory/index.ts'
import { silentLogger } from '../../../src/core/logger.ts'

tunnelCompliance(t, 'mem', async () => {
  const tunnel = memoryTunnel({ logger: silentLogger() })
  let n = 0
  return {
    tunnel,
    listen: () => tunnel.listen(new URL(`mem://svc${++n}`)),
    dialUrl: listener => listener.url,
    refusedUrl: () => new URL('mem://nobody-listens-here'),
    teardown: async () => { await tunnel.close?.() }
  }
})
