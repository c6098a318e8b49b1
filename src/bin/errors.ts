// Error registry of the command line. A usage error ends the process with exit code 2.
import { createError } from '../core/errors.ts'

export const CLI_ERR_USAGE = createError<[string]>('CLI_ERR_USAGE', '%s')
