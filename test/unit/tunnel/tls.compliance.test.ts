// The tls:// kind passes the tunnel compliance suite, with a self-signed cert made at test start.
import t from 'tap'
import { tunnelCompliance } from '../../compliance/tunnel.suite.ts'
import { closedPort } from '../../helpers/free-port.ts'
import { selfSigned } from '../../helpers/self-signed.ts'
import { tlsTunnel } from '../../../src/tunnel/tls/index.ts'
import { silentLogger } from '../../../src/core/logger.ts'

const { key, cert } = await selfSigned(t.testdir())
tunnelCompliance(t, 'tls', async () => {
  const tunnel = tlsTunnel({ logger: silentLogger() }, { client: { ca: cert }, server: { key, cert } })
  return {
    tunnel,
    listen: () => tunnel.listen(new URL('tls://127.0.0.1:0')),
    dialUrl: listener => listener.url,
    refusedUrl: async () => new URL(`tls://127.0.0.1:${await closedPort()}`),
    teardown: async () => { await tunnel.close?.() }
  }
})
