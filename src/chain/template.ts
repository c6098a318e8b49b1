// Value templates for redirect targets and header values: "https://{host}{uri}", "{client_ip}".
// Compiled once at load (unknown variables and stray braces are config errors), expanded per
// request without parsing. Every use ends up in a header value, so expanded request facts lose
// CR, LF, NUL and other control characters (a value can never split a header), and literal text
// with control characters is refused at compile time.
import type { ConnFacts, HttpRequestFacts } from './types.ts'
import { CHAIN_ERR_BAD_TEMPLATE, CHAIN_ERR_TEMPLATE_UNKNOWN_VAR } from './actions/errors.ts'

export interface CompiledTemplate {
  expand(req: HttpRequestFacts, conn: ConnFacts): string
  /** Variable names in order of appearance ("host", "path.2", "header.user-agent"). */
  vars: string[]
}

type Getter = (req: HttpRequestFacts, conn: ConnFacts) => string

const SIMPLE: Readonly<Record<string, Getter>> = Object.freeze({
  host: (req) => req.host ?? '',
  path: (req) => req.path,
  query: (req) => req.query,
  uri: (req) => req.query === '' ? req.path : `${req.path}?${req.query}`,
  method: (req) => req.method,
  scheme: (_req, conn) => conn.terminated != null || conn.tls != null ? 'https' : 'http',
  client_ip: (_req, conn) => conn.source.address,
  sni: (_req, conn) => conn.terminated?.sni ?? conn.tls?.sni ?? '',
  // The host minus its first label: "app.alice.test" → "alice.test" (the zone of an app's name).
  zone: (req) => {
    const host = req.host ?? ''
    const dot = host.indexOf('.')
    return dot < 0 ? '' : host.slice(dot + 1).replace(/\.$/, '')
  }
})

const KNOWN = [...Object.keys(SIMPLE), 'path.N', 'header.NAME'].join(', ')
// RFC 9110 token: what a header name may be.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\x00-\x08\x0a-\x1f\x7f]/g

/** Strips what could break a header line out of a value taken from the request. */
function clean (value: string): string {
  return CONTROL.test(value) ? value.replace(CONTROL_ALL, '') : value
}

function getter (name: string, text: string): Getter {
  const simple = SIMPLE[name]
  if (simple !== undefined && Object.hasOwn(SIMPLE, name)) return simple
  const seg = /^path\.([1-9][0-9]{0,3})$/.exec(name)
  if (seg !== null) {
    const n = Number(seg[1])
    // Segments of the raw path, percent-encoding kept: "/a/b%20c" → path.2 = "b%20c".
    return (req) => req.path.split('/')[n] ?? ''
  }
  if (name.startsWith('header.')) {
    const header = name.slice('header.'.length).toLowerCase()
    if (!TOKEN.test(header)) throw new CHAIN_ERR_BAD_TEMPLATE(text, `{${name}}: ${JSON.stringify(header)} is not a header name`)
    // Repeated request headers are joined with ", " (RFC 9110 5.3).
    return (req) => {
      let out: string | undefined
      for (const [k, v] of req.headers) if (k === header) out = out === undefined ? v : `${out}, ${v}`
      return out ?? ''
    }
  }
  throw new CHAIN_ERR_TEMPLATE_UNKNOWN_VAR(name, text, KNOWN)
}

export function compileTemplate (text: string): CompiledTemplate {
  if (typeof text !== 'string') throw new CHAIN_ERR_BAD_TEMPLATE(text, 'not a string')
  const parts: Array<string | Getter> = []
  const vars: string[] = []
  let literal = ''
  let i = 0
  while (i < text.length) {
    const c = text[i]
    if (c === '{' && text[i + 1] === '{') { literal += '{'; i += 2; continue }
    if (c === '}' && text[i + 1] === '}') { literal += '}'; i += 2; continue }
    if (c === '}') throw new CHAIN_ERR_BAD_TEMPLATE(text, `unmatched "}" at ${i} (write "}}" for a literal brace)`)
    if (c === '{') {
      const end = text.indexOf('}', i + 1)
      const name = end < 0 ? '' : text.slice(i + 1, end)
      if (end < 0 || name.includes('{')) throw new CHAIN_ERR_BAD_TEMPLATE(text, `unclosed "{" at ${i} (write "{{" for a literal brace)`)
      if (name === '') throw new CHAIN_ERR_BAD_TEMPLATE(text, `empty variable at ${i}`)
      if (literal !== '') { parts.push(literal); literal = '' }
      parts.push(getter(name, text))
      vars.push(name)
      i = end + 1
      continue
    }
    literal += c
    i++
  }
  if (literal !== '') parts.push(literal)
  if (CONTROL.test(text)) throw new CHAIN_ERR_BAD_TEMPLATE(text, 'control characters (CR, LF, NUL, ...) cannot appear in a header value')

  if (parts.length === 0) return { expand: () => '', vars }
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const only = parts[0]
    return { expand: () => only, vars }
  }
  return {
    expand (req, conn) {
      let out = ''
      for (const p of parts) out += typeof p === 'string' ? p : clean(p(req, conn))
      return out
    },
    vars
  }
}
