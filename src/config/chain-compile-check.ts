// The last check before a config is accepted: every route's local answer and every response
// filter is compiled once, exactly as the gateway will, so a rule those compilers refuse (a 204
// with a body, a filter setting content-length, ...) is reported with the route's position by
// `validate` instead of failing the start or a reload.
import type { AnyConfig } from './types.ts'
import type { ConfigProblem } from './errors.ts'
import { createLocalAction } from '../chain/actions/local.ts'
import { compileResponseFilters } from '../chain/filters/response-filters.ts'

export function checkCompiles (config: AnyConfig, file: string): ConfigProblem[] {
  if (config.role !== 'gateway') return []
  const problems: ConfigProblem[] = []
  for (const chain of config.chains) {
    const chainPos = chain.routes[0]?.pos
    const attempt = (path: string, pos: { line: number, col: number } | undefined, fn: () => unknown): void => {
      try {
        fn()
      } catch (err) {
        problems.push({ file, line: pos?.line ?? 1, col: pos?.col ?? 1, path, message: (err as Error).message })
      }
    }
    attempt(`chains.${chain.name}.post_resp_filter`, chainPos, () => compileResponseFilters(chain.postRespFilter))
    chain.routes.forEach((route, i) => {
      const at = `chains.${chain.name}.routes[${i}]`
      const p = route.process
      if (p.kind === 'serve' || p.kind === 'redirect' || p.kind === 'respond' || p.kind === 'reject') {
        attempt(`${at}.process.${p.kind}`, route.pos, () => createLocalAction(p))
      }
      attempt(`${at}.post_resp_filter`, route.pos, () => compileResponseFilters(route.postRespFilter))
    })
  }
  return problems
}
