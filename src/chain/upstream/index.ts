// Upstream groups (balancing, failover, passive health, PROXY header) and the TCP forward action.
export { createUpstreamGroup } from './group.ts'
export type { UpstreamDeps, UpstreamGroup, UpstreamSnapshot, UpstreamAttemptFailure } from './group.ts'
export { forwardConnection } from './forward.ts'
export type { ForwardResult } from './forward.ts'
export * from './errors.ts'
