// Things that are valid but probably not what the author meant: routes that an earlier, broader
// route hides. `zonegate validate` prints them; the gateway logs them at start and reload.
import type { AnyConfig } from './types.ts'
import { findShadowed } from '../chain/table.ts'

export function configWarnings (config: AnyConfig): string[] {
  if (config.role !== 'gateway') return []
  return config.chains.flatMap(chain => findShadowed(chain).map(w => {
    const where = w.pos != null ? `${w.pos.file}:${w.pos.line}:${w.pos.col} ` : ''
    return `${where}warning: chains.${w.chain}: ${w.message}`
  }))
}
