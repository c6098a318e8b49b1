// The tcp:// kind passes the tunnel compliance suite on loopback.
import t from 'tap'
import { tunnelCompliance } from '../../compliance/tunnel.suite.ts'
import { closedPort } from '../../helpers/free-port.ts'
import { tcpTunnel } from '../../../src/tunnel/tcp/index.ts'
import { silentLogger } from '../../../src/core/logger.ts'

tunnelCompliance(t, 'tcp', async () => {
  const tunnel = tcpTunnel({ logger: silentLogger() })
  return {
    tunnel,
    listen: () => tunnel.listen(new URL('tcp://127.0.0.1:0')),
    dialUrl: listener => listener.url,
    refusedUrl: async () => new URL(`tcp://127.0.0.1:${await closedPort()}`),
    teardown: async () => { await tunnel.close?.() }
  }
})
