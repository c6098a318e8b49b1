// The probe stage: read the first bytes of a connection, let each configured probe look at them,
// record what they find in the facts, then put the bytes back (unshift) so the action sees the
// connection from its first byte. Bounded by the chain's probe_max_bytes and probe_timeout; when
// either runs out, or the probes recognise nothing, the connection goes on with the facts it has
// (protocol "other") and the route table decides: a route without conditions is the default.
//
// A PROXY protocol header is the one thing a probe consumes: it is addressed to us, not to the
// upstream. It is believed only from trusted_proxies; from anyone else it is a reason to close.
import type { Duplex } from 'node:stream'
import type { ChainSpec, ConnFacts } from '../types.ts'
import { parseClientHello } from '../probes/tls-client-hello.ts'
import { parseProxyHeader } from '../probes/proxy-protocol.ts'
import { parseRequestHead, requestFacts } from '../http/head.ts'

export type ProbeOutcome =
  | { ok: true, protocol: 'tls' | 'http' | 'other', /** why probing stopped without a full answer */ note?: string }
  | { ok: false, code: string, reason: string }

type Verdict = 'done' | 'no' | 'more'

export interface ProbeInput {
  stream: Duplex
  chain: ChainSpec
  facts: ConnFacts
  /** True when `address` may send a PROXY header. */
  /** Whether a PROXY header from this address (or, over rtcp, this device) is believed. */
  trusted: (address: string, peer?: string) => boolean
}

function bad (err: unknown): { code: string, reason: string } {
  const e = err as { code?: string, message?: string }
  return { code: e.code ?? 'CHAIN_ERR_PROBE', reason: e.message ?? String(err) }
}

/** Probe `stream`, filling `facts` in place. Peeked bytes are unshift()-ed back before it resolves. */
export async function probeConnection ({ stream, chain, facts, trusted }: ProbeInput): Promise<ProbeOutcome> {
  const wantProxy = chain.probe.includes('proxy_protocol')
  const wantTls = chain.probe.includes('tls')
  const wantHttp = chain.probe.includes('http')
  if (!wantProxy && !wantTls && !wantHttp) return { ok: true, protocol: 'other' }

  let buf: Buffer = Buffer.alloc(0)
  let proxyDone = !wantProxy
  let tls = (wantTls ? 'more' : 'no') as Verdict
  let http = (wantHttp ? 'more' : 'no') as Verdict
  let failure: { code: string, reason: string } | undefined

  // One pass over the bytes so far; true when nothing more needs to be read.
  const examine = (): boolean => {
    if (!proxyDone) {
      let r
      try {
        r = parseProxyHeader(buf)
      } catch (err) {
        failure = bad(err)
        return true
      }
      if (r.status === 'need_more') return false
      if (r.status === 'done') {
        if (!trusted(facts.source.address, facts.peer)) {
          failure = { code: 'CHAIN_ERR_PROXY_UNTRUSTED', reason: `PROXY header from ${facts.peer ?? facts.source.address}, which is not in trusted_proxies` }
          return true
        }
        if (r.header.command === 'proxy' && r.header.source != null) {
          facts.via = facts.source
          facts.source = { address: r.header.source.address, port: r.header.source.port }
        }
        buf = buf.subarray(r.bytes)
      }
      proxyDone = true
    }
    if (tls === 'more') {
      try {
        const r = parseClientHello(buf, { maxBytes: chain.probeMaxBytes })
        if (r.status === 'done') {
          facts.tls = { ...(r.hello.sni != null ? { sni: r.hello.sni } : {}), alpn: r.hello.alpn }
          tls = 'done'
        } else if (r.status === 'not_tls') tls = 'no'
      } catch (err) {
        failure = bad(err)
        return true
      }
    }
    if (tls === 'done') return true
    if (http === 'more') {
      try {
        const r = parseRequestHead(buf, { maxBytes: chain.probeMaxBytes })
        if (r.status === 'done') {
          facts.http = requestFacts(r.head)
          http = 'done'
        } else if (r.status === 'not_http') http = 'no'
      } catch {
        // A malformed head is still HTTP: the HTTP engine answers it with the right 4xx.
        http = 'done'
      }
    }
    return http === 'done' || (tls !== 'more' && http !== 'more')
  }

  const outcome = await new Promise<string | undefined>((resolve) => {
    let settled = false
    const finish = (note?: string): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      stream.off('readable', onReadable)
      stream.off('end', onEnd)
      stream.off('close', onEnd)
      stream.off('error', onEnd)
      resolve(note)
    }
    const onReadable = (): void => {
      let chunk: Buffer | null
      while ((chunk = stream.read() as Buffer | null) != null) {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
        if (examine()) return finish()
        if (buf.length >= chain.probeMaxBytes) return finish(`nothing recognised in the first ${chain.probeMaxBytes} bytes`)
      }
    }
    const onEnd = (): void => finish('client closed before the probes decided')
    const timer = setTimeout(() => finish(`nothing recognised within ${chain.probeTimeoutMs} ms`), chain.probeTimeoutMs)
    stream.on('readable', onReadable)
    stream.once('end', onEnd)
    stream.once('close', onEnd)
    stream.once('error', onEnd)
    onReadable()
  })
  // After 'end' the bytes have nowhere to go: the client closed before the probes decided.
  if (buf.length > 0 && !stream.destroyed && !stream.readableEnded) stream.unshift(buf)
  if (failure != null) return { ok: false, ...failure }
  if (outcome === 'client closed before the probes decided') return { ok: false, code: 'CHAIN_ERR_PROBE_CLOSED', reason: outcome }
  const protocol = tls === 'done' ? 'tls' : http === 'done' ? 'http' : 'other'
  return { ok: true, protocol, ...(outcome != null ? { note: outcome } : {}) }
}
