// `zonegate zone add-device|remove-device --sysconfig URL`: enroll a device in the zone's own
// system-config (devices/<name>/doc, signed by the owner), so every node's system-config service
// trusts its tokens without a config change. The same commands with --sn keep the SN's list.
import type { DeviceKey } from '../identity/key-file.ts'
import { signJwt } from '../identity/jwt.ts'
import { createSysConfigClient } from '../sysconfig/client.ts'
import { deviceDocKey, readDeviceDoc, signDeviceDoc } from '../sysconfig/device-doc.ts'
import { ZONE_ERR_DEVICE_NOT_LISTED } from '../zone/errors.ts'

export interface EnrollTarget { url: string, zone: string, owner: DeviceKey, timeoutMs: number }

function clientFor (t: EnrollTarget): ReturnType<typeof createSysConfigClient> {
  // The owner's token makes these calls root's; a fresh one per call, short-lived.
  const deadline: typeof fetch = async (input, init) => await fetch(input, {
    ...init,
    signal: init?.signal != null ? AbortSignal.any([init.signal, AbortSignal.timeout(t.timeoutMs)]) : AbortSignal.timeout(t.timeoutMs)
  })
  return createSysConfigClient({ url: t.url, fetch: deadline, token: async () => await signJwt(t.owner, {}, { audience: t.zone, ttlSeconds: 60 }) })
}

export async function enrollDevice (t: EnrollTarget, device: { name: string, did: string }): Promise<string> {
  const doc = await signDeviceDoc(t.owner, t.zone, device)
  await clientFor(t).set(deviceDocKey(device.name), doc)
  return `enrolled ${device.name} (${device.did}) in the system-config of ${t.zone}\n`
}

/** Removes the doc of the named device, or of the device with that did. */
export async function unenrollDevice (t: EnrollTarget, which: { name?: string, did?: string }): Promise<string> {
  const client = clientFor(t)
  let name = which.name
  if (name === undefined) {
    for (const candidate of await client.list('devices/')) {
      const text = (await client.get(deviceDocKey(candidate)))?.value
      const did = text === undefined ? undefined : await readDeviceDoc(text, { zone: t.zone, owner: t.owner.did, name: candidate }).catch(() => undefined)
      if (did === which.did) { name = candidate; break }
    }
  }
  if (name === undefined || (await client.delete(deviceDocKey(name))) === undefined) {
    throw new ZONE_ERR_DEVICE_NOT_LISTED(t.zone, String(which.name ?? which.did))
  }
  return `removed ${name} from the system-config of ${t.zone}\n`
}
