// `respond`: a fixed answer. Header values are templates; the body is literal text (no template
// expansion: bodies are often HTML or JSON full of braces).
import type { ConnFacts, HttpRequestFacts, LocalResponse, ProcessSpec } from '../types.ts'
import { compileTemplate, type CompiledTemplate } from '../template.ts'
import { bufferedAnswer, checkStatus, statusHasBody } from './answer.ts'
import { checkHeaderName } from './header-rules.ts'
import { CHAIN_ERR_BAD_STATUS } from './errors.ts'

type RespondSpec = Extract<ProcessSpec, { kind: 'respond' }>

export function createRespond (spec: RespondSpec): (req: HttpRequestFacts, conn: ConnFacts) => Promise<LocalResponse> {
  if (!checkStatus(spec.status)) throw new CHAIN_ERR_BAD_STATUS(spec.status, 'respond', 'give a status from 200 to 599')
  const body = Buffer.from(spec.body ?? '', 'utf8')
  if (body.length > 0 && !statusHasBody(spec.status)) throw new CHAIN_ERR_BAD_STATUS(spec.status, 'respond', 'this status cannot carry a body')
  const headers: Array<[string, CompiledTemplate]> = []
  let hasType = false
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    checkHeaderName(name)
    if (name.toLowerCase() === 'content-type') hasType = true
    headers.push([name, compileTemplate(value)])
  }
  const defaultType = !hasType && body.length > 0
  return async (req, conn) => {
    const out: Array<[string, string]> = headers.map(([name, t]) => [name, t.expand(req, conn)])
    if (defaultType) out.push(['content-type', 'text/plain; charset=utf-8'])
    return bufferedAnswer(req, spec.status, out, body)
  }
}
