// A running SN (super node). For now: an rtcp listener that admits the registered device keys
// and relays streams between them; the SN issue adds registration, DNS, DDNS and ACME.
import type { Logger } from '../core/logger.ts'
import type { SnConfig } from '../config/types.ts'
import { TunnelRegistry } from '../tunnel/registry.ts'
import { tcpTunnel } from '../tunnel/tcp/index.ts'
import { loadDeviceKey } from '../identity/key-file.ts'
import { startRtcp, type RtcpService } from '../rtcp/service.ts'

export interface RunningSn {
  did: string
  rtcp: RtcpService
  stop(): Promise<void>
}

export async function runSn (config: SnConfig, { logger }: { logger: Logger }): Promise<RunningSn> {
  const key = await loadDeviceKey(config.device.keyFile)
  const registry = new TunnelRegistry()
  registry.register(tcpTunnel({ logger }))
  const rtcp = await startRtcp({ privateKey: key.privateKey, config: { ...config.rtcp, relay: { ...config.rtcp.relay, enabled: true } }, logger, registry })
  logger.info({ did: key.did, role: 'sn', listen: rtcp.node.listenAddrs() }, 'sn started')
  return {
    did: key.did,
    rtcp,
    async stop () {
      await rtcp.stop()
      await registry.close()
    }
  }
}
