// An ACME manager from the `acme:` section, with the parts the role provides (where state lives,
// who answers challenges, how to see a TXT record is served). Shared by the SN and the gateway.
import { readFile } from 'node:fs/promises'
import type { Logger } from '../core/logger.ts'
import type { AcmeConfig } from '../config/types.ts'
import { createAcmeManager } from './manager.ts'
import type { AcmeManager, AcmeManagerInit } from './types.ts'

export type AcmeRoleParts = Pick<AcmeManagerInit, 'state' | 'dns01' | 'http01' | 'waitDns' | 'logger'>

export async function acmeFromConfig (acme: AcmeConfig, parts: AcmeRoleParts): Promise<AcmeManager> {
  return createAcmeManager({
    directoryUrl: acme.directory,
    ...(acme.email != null ? { email: acme.email } : {}),
    ...(acme.caFile != null ? { caBundle: await readFile(acme.caFile, 'utf8') } : {}),
    ...(acme.renewBeforeMs != null ? { renewBeforeMs: acme.renewBeforeMs } : {}),
    certificates: acme.certificates,
    ...parts
  })
}

/** Issue what is missing now, in the background; failures back off inside the manager. */
export function startIssuing (manager: AcmeManager, logger: Logger): void {
  manager.ensure().catch((err: unknown) => { logger.error({ err, mod: 'acme' }, 'certificate issuance failed; retrying with backoff') })
}
