// `reject`: a short HTTP refusal (403 unless configured), for routes that answer rather than drop.
import type { ConnFacts, HttpRequestFacts, LocalResponse, ProcessSpec } from '../types.ts'
import { checkStatus, textAnswer } from './answer.ts'
import { CHAIN_ERR_BAD_STATUS } from './errors.ts'

type RejectSpec = Extract<ProcessSpec, { kind: 'reject' }>

export function createReject (spec: RejectSpec): (req: HttpRequestFacts, conn: ConnFacts) => Promise<LocalResponse> {
  const status = spec.status ?? 403
  if (!checkStatus(status, 400)) throw new CHAIN_ERR_BAD_STATUS(status, 'reject', 'give a status from 400 to 599')
  return async (req) => textAnswer(req, status)
}
