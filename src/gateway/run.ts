// A running gateway: device key, tunnel kinds, rtcp (listeners, keep-tunnels) and stacks.
import type { Logger } from '../core/logger.ts'
import type { GatewayConfig } from '../config/types.ts'
import { TunnelRegistry } from '../tunnel/registry.ts'
import { tcpTunnel } from '../tunnel/tcp/index.ts'
import { loadDeviceKey } from '../identity/key-file.ts'
import { startRtcp, type RtcpService } from '../rtcp/service.ts'
import { startForwardStack, type Stack } from './forward-stack.ts'

export interface RunningGateway {
  did: string
  registry: TunnelRegistry
  rtcp: RtcpService
  stacks: Stack[]
  stop(): Promise<void>
}

export async function runGateway (config: GatewayConfig, { logger }: { logger: Logger }): Promise<RunningGateway> {
  const key = await loadDeviceKey(config.device.keyFile)
  const registry = new TunnelRegistry()
  registry.register(tcpTunnel({ logger }))
  const rtcp = await startRtcp({ privateKey: key.privateKey, config: config.rtcp, logger, registry })
  const stacks: Stack[] = []
  try {
    for (const s of config.stacks) stacks.push(await startForwardStack(s, registry, logger))
  } catch (err) {
    for (const s of stacks) await s.close()
    await rtcp.stop()
    throw err
  }
  logger.info({ did: key.did, role: 'gateway', stacks: stacks.length }, 'gateway started')
  return {
    did: key.did,
    registry,
    rtcp,
    stacks,
    async stop () {
      for (const s of stacks.reverse()) await s.close()
      await rtcp.stop()
      await registry.close()
    }
  }
}
