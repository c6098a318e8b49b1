// Discovery errors (announce, derive, resolve, the service:// tunnel kind). Codes are API.
import { createError } from '../core/errors.ts'

export const SVC_ERR_BAD_NAME = createError<[string, string]>(
  'SVC_ERR_BAD_NAME', 'invalid %s name %j', TypeError)
export const SVC_ERR_BAD_INSTANCE = createError<[string, string]>(
  'SVC_ERR_BAD_INSTANCE', 'instance report %s is unusable: %s')
export const SVC_ERR_BAD_URL = createError<[string, string]>(
  'SVC_ERR_BAD_URL', 'invalid service URL "%s": %s')
export const SVC_ERR_NO_INSTANCE = createError<[string, string]>(
  'SVC_ERR_NO_INSTANCE', 'service %s has no live instance offering port %s')
export const SVC_ERR_ALL_FAILED = createError<[string, number, string]>(
  'SVC_ERR_ALL_FAILED', 'service %s: all %d instance(s) tried failed: %s')
export const SVC_ERR_STOPPED = createError<[string]>(
  'SVC_ERR_STOPPED', '%s was stopped')
