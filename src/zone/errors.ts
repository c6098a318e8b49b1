// Error registry of the zone side of the SN: the SN API client, the DDNS reporter, dns-01 through
// the SN and the `zonegate zone` commands.
import { createError, type GatewayError } from '../core/errors.ts'

/** The SN answered with an error: `status` is the HTTP status, `snCode` the SN's own code (SN_ERR_…). */
export type ZoneSnError = GatewayError & { readonly status: number, readonly snCode: string, readonly snMessage: string }

export interface ZoneSnErrorClass {
  new (status: number, snCode: string, snMessage: string, options?: { cause?: unknown }): ZoneSnError
  readonly code: string
  readonly prototype: ZoneSnError
}

const SnCoded = createError<[number, string, string]>('ZONE_ERR_SN', 'the SN answered %d %s: %s') as unknown as new (...args: unknown[]) => GatewayError

class SnError extends SnCoded {
  readonly status: number
  readonly snCode: string
  readonly snMessage: string
  constructor (status: number, snCode: string, snMessage: string, options?: { cause?: unknown }) {
    super(status, snCode, snMessage, ...(options === undefined ? [] : [options]))
    this.status = status
    this.snCode = snCode
    this.snMessage = snMessage
  }
}
Object.defineProperty(SnError, 'name', { value: 'ZONE_ERR_SN' })

export const ZONE_ERR_SN = SnError as unknown as ZoneSnErrorClass
export const ZONE_ERR_UNREACHABLE = createError<[string, string]>('ZONE_ERR_UNREACHABLE', 'cannot reach the SN at %s: %s')
export const ZONE_ERR_TIMEOUT = createError<[string, number]>('ZONE_ERR_TIMEOUT', 'the SN at %s did not answer within %d ms')
export const ZONE_ERR_BAD_RESPONSE = createError<[string, string]>('ZONE_ERR_BAD_RESPONSE', 'the SN at %s sent an unusable answer: %s')
export const ZONE_ERR_INVALID = createError<[string]>('ZONE_ERR_INVALID', '%s', TypeError)
export const ZONE_ERR_NO_DEVICE = createError<[string]>('ZONE_ERR_NO_DEVICE', '%s needs a device key and a zone (createSnClient({ device, zone }))')
export const ZONE_ERR_DNS_TIMEOUT = createError<[string, string, number, string]>('ZONE_ERR_DNS_TIMEOUT', 'TXT %s = "%s" was not served within %d ms (last: %s)')
export const ZONE_ERR_DEVICE_NOT_LISTED = createError<[string, string]>('ZONE_ERR_DEVICE_NOT_LISTED', 'zone %s lists no device %s')
export const ZONE_ERR_DNS_QUERY = createError<[string, string, string]>('ZONE_ERR_DNS_QUERY', 'TXT query for %s at %s failed: %s')
