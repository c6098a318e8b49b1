// The system-config RPC service: the HTTP handler, its authentication and access rules.
export { createSysConfigHandler, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_WATCH_MS } from './handler.ts'
export type { SysConfigHandlerInit, RpcErrorBody } from './handler.ts'
export { createSysConfigAuth } from './auth.ts'
export type { SysConfigAuth, SysConfigAuthInit, ZoneDevice } from './auth.ts'
export { METHODS } from './params.ts'
