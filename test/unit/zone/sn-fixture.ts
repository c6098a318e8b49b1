// The usual start of a zone-client test: a fake SN, an owner key and a device key for the zone
// alice.sn.test, and one client of each kind (closed at teardown, after the SN).
import { createSnClient, type SnClient } from '../../../src/zone/sn-client.ts'
import { makeKey, type TestKey } from '../../helpers/keys.ts'
import { startFakeSn, SN_DOMAIN, type FakeSn, type TestLike } from './fake-sn.ts'

export interface SnFixture {
  sn: FakeSn
  owner: TestKey
  device: TestKey
  zone: string
  /** Where the clients connect: the SN's URL names sn.test, which only the fixture resolves. */
  connectTo: { host: string, port: number }
  /** Owner calls only (register, devices, domains). */
  ownerClient: SnClient
  /** Device calls for `device` in `zone`. */
  deviceClient: SnClient
}

export async function startSnFixture (t: TestLike): Promise<SnFixture> {
  const sn = await startFakeSn(t.testdir())
  t.teardown(() => sn.close())
  const owner = makeKey()
  const device = makeKey()
  const zone = 'alice.sn.test'
  const connectTo = { host: '127.0.0.1', port: sn.port }
  const ownerClient = createSnClient({ url: sn.url, audience: SN_DOMAIN, ca: sn.ca, connectTo })
  const deviceClient = createSnClient({ url: sn.url, audience: SN_DOMAIN, ca: sn.ca, connectTo, device, zone })
  t.teardown(() => { ownerClient.close(); deviceClient.close() })
  return { sn, owner, device, zone, connectTo, ownerClient, deviceClient }
}

/** startSnFixture, then the owner registers the zone and lists the device as `deviceName`. */
export async function startRegisteredZone (t: TestLike, deviceName: string): Promise<SnFixture> {
  const f = await startSnFixture(t)
  await f.ownerClient.registerZone(f.owner, 'invite-1', f.zone)
  await f.ownerClient.putDevices(f.owner, f.zone, 1, [{ name: deviceName, did: f.device.did }])
  return f
}
