// Which RFC 1928 reply code answers a failed request. Errors are recognised by their codes (ours,
// then the OS's) along the cause chain, because tunnel kinds wrap the OS error as the cause.
//
// Timeouts answer 0x04 (host unreachable), not 0x06 (TTL expired): 0x06 names an IP TTL running
// out on the way, which we cannot observe; a connect that got no answer in time is, as far as the
// client can act on it, a host it cannot reach. curl and the `socks` package print 0x04 as
// "host unreachable", which is what the user should read.
import { REPLY_CODES } from './types.ts'

const NETWORK = new Set(['ENETUNREACH', 'ENETDOWN'])
const HOST = new Set(['EHOSTUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'ETIMEDOUT',
  'TUN_ERR_CONNECT_TIMEOUT', 'SOCKS_ERR_CONNECT_TIMEOUT'])
const REFUSED = new Set(['ECONNREFUSED', 'TUN_ERR_CONNECT_REFUSED'])

function codesOf (err: unknown): string[] {
  const codes: string[] = []
  for (let e = err, depth = 0; e != null && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') codes.push(code)
  }
  return codes
}

/** A codec error's own `socksReply`, else the reply for the first recognised code, else 0x01. */
export function replyCodeFor (err: unknown): number {
  const own = (err as { socksReply?: unknown } | null)?.socksReply
  if (typeof own === 'number') return own
  const codes = codesOf(err)
  // The most specific code wins: an OS code in the cause beats the tunnel's wrapper.
  for (const c of [...codes].reverse()) {
    if (REFUSED.has(c)) return REPLY_CODES.CONNECTION_REFUSED
    if (NETWORK.has(c)) return REPLY_CODES.NETWORK_UNREACHABLE
    if (HOST.has(c)) return REPLY_CODES.HOST_UNREACHABLE
  }
  if (codes.includes('TUN_ERR_UNREACHABLE')) return REPLY_CODES.HOST_UNREACHABLE
  return REPLY_CODES.GENERAL_FAILURE
}
