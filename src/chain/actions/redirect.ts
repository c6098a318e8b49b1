// `redirect`: Location from a template, with a tiny HTML body for clients that show it.
import type { ConnFacts, HttpRequestFacts, LocalResponse, ProcessSpec } from '../types.ts'
import { compileTemplate } from '../template.ts'
import { bufferedAnswer } from './answer.ts'
import { CHAIN_ERR_BAD_STATUS } from './errors.ts'

type RedirectSpec = Extract<ProcessSpec, { kind: 'redirect' }>
const REDIRECTS = new Set([301, 302, 303, 307, 308])

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)

export function createRedirect (spec: RedirectSpec): (req: HttpRequestFacts, conn: ConnFacts) => Promise<LocalResponse> {
  if (!REDIRECTS.has(spec.status)) throw new CHAIN_ERR_BAD_STATUS(spec.status, 'redirect', 'give 301, 302, 303, 307 or 308')
  const to = compileTemplate(spec.to)
  return async (req, conn) => {
    const location = to.expand(req, conn)
    const href = escapeHtml(location)
    const body = Buffer.from(`<!DOCTYPE html><title>Redirect</title><p>Moved to <a href="${href}">${href}</a>.</p>\n`)
    return bufferedAnswer(req, spec.status, [['location', location], ['content-type', 'text/html; charset=utf-8']], body)
  }
}
