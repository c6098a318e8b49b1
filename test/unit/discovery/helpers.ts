// Fixtures for discovery tests: the real sqlite store, real TCP servers that name themselves,
// and a real rtcp pair (this gateway "gw" dials the remote node "node2", which reaches its
// loopback targets), so local candidates go over tcp:// and remote ones over rtcp://.
import net from 'node:net'
import { once } from 'node:events'
import type { Duplex } from 'node:stream'
import { silentLogger } from '../../../src/core/logger.ts'
import { TunnelRegistry } from '../../../src/tunnel/registry.ts'
import { tcpTunnel } from '../../../src/tunnel/tcp/index.ts'
import { rtcpTunnel } from '../../../src/rtcp/tunnel.ts'
import { policyResolver } from '../../../src/rtcp/target-policy.ts'
import { device, rtcpConfig, peer, startNode } from '../../helpers/rtcp.ts'

export interface Teardown { teardown (fn: () => unknown): void }

/** A TCP server on 127.0.0.1:0 that writes `name` to every client and closes; counts clients. */
export async function namedServer (t: Teardown, name: string): Promise<{ port: number, hits: () => number }> {
  let hits = 0
  const srv = net.createServer(s => { hits++; s.on('error', () => {}); s.end(name) })
  srv.listen(0, '127.0.0.1')
  await once(srv, 'listening')
  t.teardown(() => new Promise(resolve => srv.close(resolve)))
  return { port: (srv.address() as net.AddressInfo).port, hits: () => hits }
}

/** Everything the stream sends until it ends. */
export async function readAll (s: Duplex): Promise<string> {
  const chunks: Buffer[] = []
  s.on('data', (c: Buffer) => chunks.push(c))
  await once(s, 'end')
  s.destroy()
  return Buffer.concat(chunks).toString()
}

/** Resolve when `check()` holds, yielding to the event loop in between; fail after `ms`. */
export async function until (check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${ms} ms`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

export interface Network {
  /** The gateway's registry: tcp:// and rtcp:// (peer "node2"). */
  registry: TunnelRegistry
  /** Every URL opened through it, in order. */
  opened: string[]
  open: (url: string, options: { signal: AbortSignal }) => ReturnType<TunnelRegistry['open']>
}

/** The local gateway "gw" and a remote node "node2" joined by a real rtcp tunnel. */
export async function network (t: Teardown): Promise<Network> {
  const [remote, local] = [await device(), await device()]
  const remoteRegistry = new TunnelRegistry().register(tcpTunnel({ logger: silentLogger() }))
  const nodeRemote = await startNode(remote, rtcpConfig({ listen: ['127.0.0.1:0'], trust: { devices: [local.did], allowAny: false } }), policyResolver('loopback', remoteRegistry))
  t.teardown(() => nodeRemote.stop())
  const nodeLocal = await startNode(local, rtcpConfig({ peers: [peer('node2', remote, nodeRemote.listenAddrs())] }))
  t.teardown(() => nodeLocal.stop())
  const registry = new TunnelRegistry().register(tcpTunnel({ logger: silentLogger() }, { connectTimeoutMs: 2000 })).register(rtcpTunnel(nodeLocal))
  const opened: string[] = []
  return {
    registry,
    opened,
    open: async (url, options) => { opened.push(url); return await registry.open(url, options) }
  }
}
