// The zone's token issuer (verify-hub role): see hub.ts.
export { createVerifyHub, DEFAULT_REFRESH_TTL_SECONDS, DEFAULT_SESSION_TTL_SECONDS, MAX_LOGIN_TTL_SECONDS, LOGIN_PURPOSE } from './hub.ts'
export type { VerifyHub, VerifyHubInit, TokenPair, VerifyAnswer } from './hub.ts'
export { verifySessionToken } from './session-token.ts'
export type { VerifySessionOptions, VerifiedSession } from './session-token.ts'
export { createMemoryRefreshStore, DEFAULT_MAX_REFRESH_RECORDS } from './refresh-store.ts'
export type { RefreshRecord, RefreshStore } from './refresh-store.ts'
export type { HubKeyHolder } from './hub-key.ts'
export type { RateLimiterOptions } from './rate-limit.ts'
