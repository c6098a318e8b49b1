// What a gateway adds when it belongs to a zone with a system-config (`sysconfig:`):
//   - on the node that serves it: the store (node:sqlite or etcd), the RPC service reached as
//     internal://system_config (and on serve.listen), the token issuer as internal://verify_hub,
//     the devices the owner enrolled (devices/<name>/doc), and the deriver that keeps
//     services/<svc>/info in step with live instances;
//   - on every node: the service view from a watch (no polling), the service:// upstream kind
//     (a local instance by tcp://127.0.0.1:<port>, a remote one by rtcp://<node>/:<port>), the
//     zone's apps for the chain's `app` action, and session checks for private apps.
import http from 'node:http'
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Logger } from '../core/logger.ts'
import type { GatewayConfig, SysconfigConfig } from '../config/types.ts'
import { parseHostPort } from '../config/host-port.ts'
import type { DeviceKey } from '../identity/key-file.ts'
import { cachedToken } from '../identity/jwt.ts'
import type { TunnelRegistry } from '../tunnel/registry.ts'
import { internalTunnel } from '../tunnel/internal/index.ts'
import { serveInternalHttp } from './internal-http.ts'
import type { KvStore } from '../sysconfig/store/index.ts'
import { createSysConfigHandler, createSysConfigAuth } from '../sysconfig/service/index.ts'
import { DEFAULT_RULES } from '../sysconfig/rules.ts'
import { createSysConfigClient } from '../sysconfig/client.ts'
import { createVerifyHub, verifySessionToken, type VerifyHub } from '../verify-hub/index.ts'
import {
  fromClient, fromStore, createServiceResolver, serviceTunnel, startInfoDeriver,
  type DiscoverySource, type InfoDeriver, type ServiceResolver
} from '../discovery/index.ts'
import { startAppsView, type AppsView } from './zone-apps.ts'
import type { ProcessExtensions } from './run.ts'
import { startPrefixView, type PrefixView } from './prefix-view.ts'
import { DEVICE_NAME, readDeviceDoc } from '../sysconfig/device-doc.ts'

/** Where the token issuer publishes its did for the other nodes (readable by the zone's devices). */
export const HUB_DID_KEY = 'system/verify-hub/did'
const HUB_KEY = 'system/verify-hub/key'

export interface ZoneServices {
  extensions: ProcessExtensions
  source: DiscoverySource
  resolver: ServiceResolver
  store?: KvStore
  hub?: VerifyHub
}

async function openStore (serve: NonNullable<SysconfigConfig['serve']>): Promise<KvStore> {
  const store = await import('../sysconfig/store/index.ts')
  if (serve.backend === 'etcd') {
    if (serve.etcd == null) throw new TypeError('sysconfig.serve.backend etcd needs sysconfig.serve.etcd.endpoints')
    return await store.openEtcdStore({ endpoints: serve.etcd.endpoints, prefix: serve.etcd.prefix })
  }
  // system/ keys (the token issuer's signing key) live in this file: its directory is ours alone.
  await mkdir(dirname(serve.file), { recursive: true, mode: 0o700 })
  return store.openSqliteStore({ file: serve.file })
}

export async function startZoneServices (config: GatewayConfig, key: DeviceKey, logger: Logger): Promise<ZoneServices> {
  const sc = config.sysconfig!
  const log = logger.child({ mod: 'zone.services' })
  const devices = { ...sc.devices, [sc.node]: key.did }
  // The zone's devices: the config's, then those the owner enrolled in the store
  // (devices/<name>/doc, signed by the owner); a name or key the config has wins.
  let enrolled: PrefixView<string> | undefined
  const deviceList = (): Array<{ name: string, did: string }> => {
    const out = Object.entries(devices).map(([name, did]) => ({ name, did }))
    for (const [name, did] of enrolled?.entries() ?? []) {
      if (!Object.hasOwn(devices, name) && !out.some(d => d.did === did)) out.push({ name, did })
    }
    return out
  }
  const isDevice = (did: string): boolean => deviceList().some(d => d.did === did)
  const cleanup: Array<() => Promise<void> | void> = []
  const internal = internalTunnel()
  let store: KvStore | undefined
  let hub: VerifyHub | undefined
  let deriver: InfoDeriver | undefined
  let source: DiscoverySource
  try {
    if (sc.serve != null) {
      const s = await openStore(sc.serve)
      store = s
      cleanup.push(async () => { await s.close() })
      const view = startPrefixView(fromStore(s), {
        prefix: 'devices/', leaf: 'doc', name: DEVICE_NAME, what: 'devices',
        parse: async (name, text) => await readDeviceDoc(text, { zone: sc.zone, owner: sc.owner, name })
      }, logger)
      enrolled = view
      cleanup.push(() => { view.stop() })
      // Enrolled devices are known before the first call is answered.
      await view.ready
      if (sc.serve.verifyHub) {
        hub = await createVerifyHub({
          zone: sc.zone,
          keys: { load: async () => (await s.get(HUB_KEY))?.value, save: async (pem) => { await s.set(HUB_KEY, pem) } },
          trust: (did) => did === sc.owner || isDevice(did),
          users: (did) => did === sc.owner ? 'root' : deviceList().find(d => d.did === did)?.name,
          logger
        })
        if ((await s.get(HUB_DID_KEY))?.value !== hub.did) await s.set(HUB_DID_KEY, hub.did)
        const hubServer = serveInternalHttp(internal, 'verify_hub', hub.handler, { requestTimeoutMs: 30_000 })
        cleanup.push(() => { hubServer.close() })
      }
      const auth = createSysConfigAuth({ zone: sc.zone, owner: sc.owner, devices: deviceList, issuers: hub != null ? [hub.did] : [], rules: DEFAULT_RULES })
      const handler = createSysConfigHandler({ store: s, auth, logger })
      const rpc = serveInternalHttp(internal, 'system_config', handler, { requestTimeoutMs: 120_000 }) // watch long-polls
      cleanup.push(() => { rpc.close() })
      if (sc.serve.listen != null) {
        const hp = parseHostPort(sc.serve.listen, 'listen')
        if (typeof hp === 'string') throw new TypeError(`sysconfig.serve.listen ${sc.serve.listen}: ${hp}`)
        const direct = http.createServer(handler)
        await new Promise<void>((resolve, reject) => { direct.once('error', reject); direct.listen(hp.port, hp.host, () => resolve()) })
        const a = direct.address() as { address: string, port: number }
        log.info({ url: `http://${a.address}:${a.port}/kapi/system_config`, role: 'sysconfig' }, 'listening')
        cleanup.push(async () => { direct.closeAllConnections(); await new Promise<void>(resolve => direct.close(() => resolve())) })
      }
      source = fromStore(s)
      deriver = startInfoDeriver({ source, logger })
      cleanup.push(async () => { await deriver?.stop() })
    } else {
      if (sc.url == null) throw new TypeError('sysconfig: give serve (this node keeps the store) or url (another node does)')
      // Each call carries this device's token (reused for its life); the service checks it
      // against the zone's devices on every call.
      const client = createSysConfigClient({ url: sc.url, token: cachedToken(key, sc.zone) })
      source = fromClient(client)
    }
  } catch (err) {
    for (const c of cleanup.reverse()) await c()
    throw err
  }

  const resolver = createServiceResolver({ source, localNode: sc.node, logger })
  cleanup.push(async () => { await resolver.stop() })
  const apps: AppsView = startAppsView(source, logger)
  cleanup.push(() => { apps.stop() })

  // Private apps: a session token issued by the zone's token issuer, checked by signature here.
  let hubDid = hub?.did
  const sessions = {
    verify: async (token: string): Promise<{ user: string } | undefined> => {
      hubDid ??= (await source.get(HUB_DID_KEY).catch(() => undefined))?.value
      if (hubDid == null) return undefined
      try {
        const s = await verifySessionToken(token, { hubDid, zone: sc.zone })
        return { user: s.user }
      } catch {
        return undefined
      }
    }
  }

  const extensions: ProcessExtensions = {
    tunnels: (registry: TunnelRegistry) => {
      registry.register(internal.tunnel)
      registry.register(serviceTunnel({ resolver, open: async (url, o) => await registry.open(url, o), logger }))
    },
    chainDeps: {
      apps: { lookup: (app: string) => apps.lookup(app) },
      sessions
    },
    status: () => ({ sysconfig: { zone: sc.zone, node: sc.node, served: store != null, ...(hub != null ? { verifyHub: hub.did } : {}) } }),
    stop: async () => { for (const c of cleanup.reverse()) await c() }
  }
  void resolver.ready.then(() => { log.info({ node: sc.node, served: store != null }, 'service discovery ready') })
  return { extensions, source, resolver, ...(store != null ? { store } : {}), ...(hub != null ? { hub } : {}) }
}
