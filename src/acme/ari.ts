// ACME Renewal Information (RFC 9773): when the directory offers `renewalInfo`, the CA says when
// to renew each certificate (suggestedWindow) and how often to ask again (Retry-After).
import type { Agent as HttpsAgent } from 'node:https'
import { httpGet } from './client.ts'
import { ACME_ERR_HTTP } from './errors.ts'

export interface AriWindow { start: number, end: number, /** when to ask again (ms since epoch) */ nextCheckAt: number }

const RETRY_DEFAULT_MS = 6 * 3600_000
const RETRY_MIN_MS = 60_000
const RETRY_MAX_MS = 24 * 3600_000

/** The renewalInfo base URL from the directory, or undefined when the CA has no ARI. */
export async function renewalInfoBase (directoryUrl: string, agent: HttpsAgent | undefined): Promise<string | undefined> {
  const answer = await httpGet(directoryUrl, agent)
  if (answer.status !== 200) throw new ACME_ERR_HTTP(directoryUrl, `HTTP ${answer.status}`)
  let dir: unknown
  try { dir = JSON.parse(answer.body) } catch { throw new ACME_ERR_HTTP(directoryUrl, 'directory is not JSON') }
  const url = (dir as { renewalInfo?: unknown } | null)?.renewalInfo
  return typeof url === 'string' && /^https?:\/\//.test(url) ? url : undefined
}

export async function fetchRenewalInfo (base: string, certId: string, agent: HttpsAgent | undefined, now: number): Promise<AriWindow> {
  const url = `${base.replace(/\/+$/, '')}/${certId}`
  const answer = await httpGet(url, agent)
  if (answer.status !== 200) throw new ACME_ERR_HTTP(url, `HTTP ${answer.status}`)
  const window = parseWindow(answer.body)
  if (window === undefined) throw new ACME_ERR_HTTP(url, 'no valid suggestedWindow')
  return { ...window, nextCheckAt: now + retryAfter(answer.headers['retry-after'], now) }
}

export function parseWindow (body: string): { start: number, end: number } | undefined {
  let v: unknown
  try { v = JSON.parse(body) } catch { return undefined }
  const w = (v as { suggestedWindow?: { start?: unknown, end?: unknown } } | null)?.suggestedWindow
  if (w === null || typeof w !== 'object' || typeof w.start !== 'string' || typeof w.end !== 'string') return undefined
  const start = Date.parse(w.start)
  const end = Date.parse(w.end)
  // RFC 9773 §4.2: a window whose end is not after its start is invalid.
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return undefined
  return { start, end }
}

/** Retry-After as seconds or an HTTP date, clamped so a bad header neither hammers nor stalls. */
function retryAfter (header: string | undefined, now: number): number {
  let ms = RETRY_DEFAULT_MS
  if (header !== undefined) {
    const seconds = /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : Date.parse(header) - now
    if (Number.isFinite(seconds)) ms = seconds
  }
  return Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, ms))
}

/** A uniformly random time in the window (RFC 9773 §4.2), so many clients do not renew at once. */
export function pickInWindow (window: { start: number, end: number }, random: () => number = Math.random): number {
  return window.start + Math.floor(random() * (window.end - window.start))
}
