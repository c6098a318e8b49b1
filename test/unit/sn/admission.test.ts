import t from 'tap'
import { zoneAdmission } from '../../../src/sn/admission.ts'

t.test('tunnels: registered devices only, and a per-zone budget each minute', async t => {
  const devices = new Map([['did:a1', 'a.sn.test'], ['did:a2', 'a.sn.test'], ['did:b1', 'b.sn.test']])
  const denied = new Set(['did:b1'])
  let clock = 0
  const admit = zoneAdmission({
    isAdmitted: did => devices.has(did) && !denied.has(did),
    deviceOf: did => devices.has(did) ? { zone: devices.get(did)! } : undefined
  }, 3, () => clock)
  t.notOk(admit('did:stranger'), 'an unregistered device is refused')
  t.notOk(admit('did:b1'), 'a denied device is refused')
  t.same([admit('did:a1'), admit('did:a2'), admit('did:a1'), admit('did:a2')], [true, true, true, false], 'the zone\'s 3 a minute, shared by its devices')
  denied.delete('did:b1')
  t.ok(admit('did:b1'), 'another zone has its own budget')
  clock += 20_000
  t.ok(admit('did:a1'), 'a third of a minute later, one more')
  t.notOk(admit('did:a2'))
})
