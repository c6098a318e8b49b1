// Typed, coded errors. Codes are API: never renamed or reused; messages may change.
// Callers branch on `err.code`. An error may carry its wire mapping (rtcp result code, ...).
import { format } from 'node:util'

export class GatewayError extends Error {
  readonly code: string
  constructor (code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = 'GatewayError'
  }
}

export interface GatewayErrorClass<A extends unknown[]> {
  new (...args: [...A] | [...A, { cause?: unknown }]): GatewayError
  readonly code: string
  readonly prototype: GatewayError
}

/**
 * createError('TUN_ERR_CONNECT_REFUSED', 'connection refused by %s') returns a class whose
 * constructor takes the format arguments, optionally followed by `{ cause }`.
 */
export function createError<A extends unknown[] = unknown[]> (code: string, template: string, Base: ErrorConstructor = Error): GatewayErrorClass<A> {
  const C = class extends GatewayError {
    static readonly code = code
    constructor (...args: unknown[]) {
      let options: { cause?: unknown } | undefined
      const last = args[args.length - 1]
      const placeholders = (template.match(/%[sdjoOif]/g) ?? []).length
      if (args.length > placeholders && last !== null && typeof last === 'object' && 'cause' in (last as object)) {
        options = args.pop() as { cause?: unknown }
      }
      super(code, format(template, ...args), options)
      this.name = Base.name === 'Error' ? 'GatewayError' : `Gateway${Base.name}`
    }
  }
  Object.defineProperty(C, 'name', { value: code })
  return C as unknown as GatewayErrorClass<A>
}

/** True when `err` carries the given code (ours or an OS error such as ECONNRESET). */
export function hasCode (err: unknown, code: string): boolean {
  return err != null && typeof err === 'object' && (err as { code?: unknown }).code === code
}

/** A coded error that also says which HTTP status an API answers it with. */
export type HttpError = GatewayError & { readonly httpStatus: number }

export interface HttpErrorClass<A extends unknown[]> extends GatewayErrorClass<A> {
  new (...args: [...A] | [...A, { cause?: unknown }]): HttpError
  readonly httpStatus: number
}

/**
 * createError() plus one fixed number on every instance and on the class (for lookups): the wire
 * mapping of an area's errors, such as an HTTP status or a SOCKS reply code. The caller casts the
 * result to its own class type, which names the field.
 */
export function createErrorWithField (code: string, template: string, field: string, value: number, Base?: ErrorConstructor): unknown {
  const Coded = createError(code, template, Base) as unknown as new (...args: unknown[]) => GatewayError
  const C = class extends Coded {
    constructor (...args: unknown[]) {
      super(...args)
      Object.defineProperty(this, field, { value, enumerable: true })
    }
  }
  Object.defineProperty(C, field, { value })
  Object.defineProperty(C, 'name', { value: code })
  return C
}

/** createError() plus a fixed `httpStatus` on every instance and on the class (for lookups). */
export function createHttpError<A extends unknown[] = unknown[]> (code: string, template: string, httpStatus: number, Base?: ErrorConstructor): HttpErrorClass<A> {
  return createErrorWithField(code, template, 'httpStatus', httpStatus, Base) as HttpErrorClass<A>
}
