// Coded errors of the internal:// tunnel kind (in-process handlers reached by name).
import { createError } from '../../core/errors.ts'

export const TUN_ERR_INTERNAL_DUPLICATE = createError<[string]>('TUN_ERR_INTERNAL_DUPLICATE', 'an internal handler named "%s" is already registered')
export const TUN_ERR_INTERNAL_BAD_NAME = createError<[string]>('TUN_ERR_INTERNAL_BAD_NAME', 'internal handler names are letters, digits, "_", "." and "-"; got %s')
export const TUN_ERR_INTERNAL_RESET = createError<[string]>('TUN_ERR_INTERNAL_RESET', 'in-process stream %s was reset by the other end')
