// post_resp_filter: edits to an HTTP response head on its way back to the client. Compiled once;
// applied in REVERSE order of declaration, like wrapping middleware: the last declared filter sits
// closest to the handler and runs first, the first declared runs last and has the final word.
import { STATUS_CODES } from 'node:http'
import type { ResponseHead } from '../http/types.ts'
import type { ConnFacts, HttpRequestFacts, ResponseFilterSpec } from '../types.ts'
import { compileTemplate, type CompiledTemplate } from '../template.ts'
import { checkHeaderName } from '../actions/header-rules.ts'
import { CHAIN_ERR_BAD_STATUS } from '../actions/errors.ts'

export type ResponseFilterFn = (head: ResponseHead, req: HttpRequestFacts, conn: ConnFacts) => void

/** Statuses whose framing differs (no body, or an upgrade): never rewritten from or to. */
const FIXED = (status: number): boolean => status < 200 || status === 204 || status === 304

function removeAll (head: ResponseHead, lower: string): void {
  head.headers = head.headers.filter(([name]) => name.toLowerCase() !== lower)
}

function compileHeaders (headers: Readonly<Record<string, string>>): Array<[string, string, CompiledTemplate]> {
  return Object.entries(headers).map(([name, value]) => {
    checkHeaderName(name)
    return [name, name.toLowerCase(), compileTemplate(value)]
  })
}

function compileOne (spec: ResponseFilterSpec): ResponseFilterFn {
  switch (spec.kind) {
    case 'set_header': {
      const headers = compileHeaders(spec.headers)
      return (head, req, conn) => {
        for (const [name, lower, t] of headers) {
          removeAll(head, lower)
          head.headers.push([name, t.expand(req, conn)])
        }
      }
    }
    case 'add_header': {
      const headers = compileHeaders(spec.headers)
      return (head, req, conn) => {
        for (const [name, , t] of headers) head.headers.push([name, t.expand(req, conn)])
      }
    }
    case 'remove_header': {
      const names = spec.names.map(name => { checkHeaderName(name); return name.toLowerCase() })
      const drop = new Set(names)
      return (head) => {
        head.headers = head.headers.filter(([name]) => !drop.has(name.toLowerCase()))
      }
    }
    case 'rewrite_status': {
      const { from, to } = spec
      if (!Number.isInteger(to) || to < 200 || to > 599 || FIXED(to)) {
        throw new CHAIN_ERR_BAD_STATUS(to, 'rewrite_status to', 'give 200 to 599, not 204 or 304 (they cannot carry the body)')
      }
      if (from !== undefined && (!Number.isInteger(from) || from < 200 || from > 599 || FIXED(from))) {
        throw new CHAIN_ERR_BAD_STATUS(from, 'rewrite_status from', 'give 200 to 599, not 204 or 304 (they have no body to keep)')
      }
      const reason = STATUS_CODES[to] ?? ''
      return (head) => {
        if (FIXED(head.status)) return
        if (from !== undefined && head.status !== from) return
        head.status = to
        head.reason = reason
      }
    }
  }
}

export function compileResponseFilters (specs: readonly ResponseFilterSpec[]): ResponseFilterFn {
  const fns = specs.map(compileOne).reverse()
  if (fns.length === 0) return () => {}
  if (fns.length === 1) return fns[0]
  return (head, req, conn) => {
    for (const fn of fns) fn(head, req, conn)
  }
}
