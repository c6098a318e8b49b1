// Error registry of the config area. CFG_ERR_INVALID carries every problem found in a file, each
// with its position, so callers print them all at once instead of one per run.
import { createError } from '../core/errors.ts'

export interface ConfigProblem {
  /** The config file as it was named to the loader. */
  file: string
  /** 1-based line and column of the offending key or value. */
  line: number
  col: number
  /** Dotted path in the YAML's own key names (`rtcp.peers.sn.did`, `stacks[0].id`); '' for the whole file. */
  path: string
  message: string
}

/** `FILE:LINE:COL path: message`, the form editors and terminals turn into links. */
export function formatProblem (p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path === '' ? '' : `${p.path}: `}${p.message}`
}

const InvalidBase = createError<[string, number, string, string]>('CFG_ERR_INVALID', '%s has %d problem%s:\n%s')

export class CFG_ERR_INVALID extends InvalidBase {
  readonly problems: readonly ConfigProblem[]
  constructor (file: string, problems: ConfigProblem[]) {
    super(file, problems.length, problems.length === 1 ? '' : 's', problems.map(formatProblem).join('\n'))
    this.problems = Object.freeze([...problems])
  }
}

export const CFG_ERR_READ = createError<[string, string]>('CFG_ERR_READ', 'cannot read config file %s: %s')
