// The local HTTP actions: answers made by the gateway itself, without an upstream. Compiled once
// per route (bad specs throw coded errors at load); the returned function never throws for a
// request — problems with a request are HTTP statuses.
import type { ConnFacts, HttpRequestFacts, LocalResponse, ProcessSpec } from '../types.ts'
import { createRedirect } from './redirect.ts'
import { createReject } from './reject.ts'
import { createRespond } from './respond.ts'
import { createServe } from './serve.ts'

export type LocalActionSpec = Extract<ProcessSpec, { kind: 'serve' | 'redirect' | 'respond' | 'reject' }>
export type LocalAction = (req: HttpRequestFacts, conn: ConnFacts) => Promise<LocalResponse>

export function createLocalAction (spec: LocalActionSpec): LocalAction {
  switch (spec.kind) {
    case 'serve': return createServe(spec)
    case 'redirect': return createRedirect(spec)
    case 'respond': return createRespond(spec)
    case 'reject': return createReject(spec)
  }
}
