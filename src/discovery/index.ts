// Service discovery (SPEC section 8): instances announce themselves in system-config, a deriver
// keeps services/<svc>/info, a resolver keeps the live set in memory, and service:// opens a
// stream to one of them with failover.
export { fromStore, fromClient, type DiscoverySource } from './source.ts'
export { announceInstance, DEFAULT_TTL_MS, type AnnounceInit, type Announcement } from './announce.ts'
export { startInfoDeriver, type InfoDeriver, type InfoDeriverInit } from './deriver.ts'
export { createServiceResolver, weightedOrder, type Candidate, type ServiceResolver, type ServiceResolverInit } from './resolver.ts'
export { serviceTunnel, parseServiceUrl, type ServiceTunnelInit, type ServiceAddress } from './tunnel.ts'
export { startServiceView, type ServiceView, type InstanceEntry } from './view.ts'
export { followPrefix, type FollowInit } from './follow.ts'
export {
  instanceKey, infoKey, parseInstanceReport, parseServiceInfo, isServiceName, isNodeName, isPortName,
  type InstanceReport, type ServiceInfo, type InfoInstance
} from './records.ts'
