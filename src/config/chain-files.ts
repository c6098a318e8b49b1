// `validate --check-files` for chains: the files a chain names must be there and usable, so a
// typo in a certificate path is found before a deploy, not at the first TLS handshake.
import { stat } from 'node:fs/promises'
import type { GatewayConfig } from './types.ts'
import type { ConfigProblem } from './errors.ts'
import { loadCertStore } from '../chain/tls/cert-store.ts'

export async function checkChainFiles (config: GatewayConfig, file: string): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = []
  for (const chain of config.chains) {
    for (const [i, route] of chain.routes.entries()) {
      const p = route.process
      const at = (message: string): void => {
        problems.push({ file, line: route.pos?.line ?? 1, col: route.pos?.col ?? 1, path: `chains.${chain.name}.routes[${i}].process.${p.kind}`, message })
      }
      // ACME certificates exist only at run time (the manager issues them): nothing to read here.
      if (p.kind === 'tls_terminate' && p.acme == null) {
        try {
          await loadCertStore(p.certs)
        } catch (err) {
          at((err as Error).message)
        }
      } else if (p.kind === 'serve') {
        const s = await stat(p.dir).catch(() => undefined)
        if (s == null || !s.isDirectory()) at(`${p.dir} is not a directory`)
      }
    }
  }
  return problems
}
