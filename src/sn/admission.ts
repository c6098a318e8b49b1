// Which devices' tunnels the SN accepts: registered devices of active zones (the registry decides
// in O(1) from memory), at most `perMinute` new tunnels per zone, so one zone's reconnect storm
// cannot crowd out the others. The buckets are the API's bounded keyed ones.
import { RateLimiter } from './api/rate-limit.ts'

export interface AdmissionRegistry {
  isAdmitted (did: string): boolean
  deviceOf (did: string): { zone: string } | undefined
}

export function zoneAdmission (registry: AdmissionRegistry, perMinute: number, now: () => number = () => performance.now()): (did: string) => boolean {
  const perZone = new RateLimiter({ capacity: perMinute, perMs: 60_000 })
  return (did) => registry.isAdmitted(did) && perZone.take(registry.deviceOf(did)?.zone ?? did, now()) === 0
}
