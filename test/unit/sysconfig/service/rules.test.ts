// src/sysconfig/rules.ts: first matching rule decides, segment-wise prefixes, '*' and '{self}'.
import t from 'tap'
import { compileRules, DEFAULT_RULES, validateRules, type Principal } from '../../../../src/sysconfig/rules.ts'

const root: Principal = { kind: 'root' }
const node1: Principal = { kind: 'device', name: 'node1' }
const bob: Principal = { kind: 'user', id: 'bob' }
const photos: Principal = { kind: 'app', id: 'photos', user: 'bob' }

t.test('default rules', async t => {
  const p = compileRules(DEFAULT_RULES)
  t.ok(p.allows(root, 'boot/config', 'write'), 'root writes everything')
  t.ok(p.allows(root, 'system/verify-hub/key', 'read'), 'root reads the issuer key')
  t.equal(p.decide(node1, 'system/verify-hub/key'), 'none', 'a device may not read the issuer key')
  t.equal(p.decide(node1, 'system/secrets/x'), 'none')
  t.equal(p.decide(node1, 'boot/config'), 'read', 'devices read the rest')
  t.ok(p.allows(node1, 'services/web/instances/node1', 'write'), 'a device writes its own instance')
  t.notOk(p.allows(node1, 'services/web/instances/node2', 'write'), '... not another node\'s')
  t.notOk(p.allows(node1, 'services/web/instances/node10', 'write'), '... nor one whose name merely starts like its own')
  t.ok(p.allows(node1, 'devices/node1/info', 'write'))
  t.notOk(p.allows(node1, 'devices/node1/doc', 'write'), 'the device doc is the owner\'s')
  t.notOk(p.allows(node1, 'devices/node2/info', 'write'))
  t.ok(p.allows(node1, 'nodes/node1/config', 'write'))
  t.notOk(p.allows(node1, 'nodes/node1', 'write'), '"nodes/{self}/" covers what is below only')
  t.notOk(p.allows(node1, 'services/web/spec', 'write'))
  t.ok(p.allows(photos, 'services/web/info', 'read'), 'apps read services/')
  t.notOk(p.allows(photos, 'services/web/info', 'write'))
  t.ok(p.allows(photos, 'apps/photos/settings', 'write'), 'apps write their own apps/<id>/')
  t.notOk(p.allows(photos, 'apps/photosx/settings', 'write'))
  t.notOk(p.allows(photos, 'boot/config', 'read'))
  t.notOk(p.allows(photos, '', 'read'), 'an app cannot watch everything')
  t.equal(p.decide(bob, 'services/web/info'), 'none', 'plain users get nothing by default')
})

t.test('first match decides; read does not fall through to a later write', async t => {
  const p = compileRules([
    { subject: 'user:bob', prefix: 'users/bob/', access: 'read' },
    { subject: 'user:*', prefix: 'users/{self}/', access: 'write' },
    { subject: '*', prefix: 'public', access: 'read' }
  ])
  t.equal(p.decide(bob, 'users/bob/x'), 'read')
  t.notOk(p.allows(bob, 'users/bob/x', 'write'))
  t.ok(p.allows({ kind: 'user', id: 'carol' }, 'users/carol/x', 'write'))
  t.ok(p.allows(bob, 'public', 'read') && p.allows(bob, 'public/a/b', 'read'))
  t.notOk(p.allows(bob, 'publicity', 'read'), 'segment-wise, not a string prefix')
  t.notOk(p.allows(root, 'anything', 'read'), 'no matching rule: nothing')
})

t.test('wildcard segment needs a non-empty segment', async t => {
  const p = compileRules([{ subject: '*', prefix: 'services/*/spec', access: 'read' }])
  t.ok(p.allows(bob, 'services/a/spec', 'read'))
  t.notOk(p.allows(bob, 'services//spec', 'read'))
  t.notOk(p.allows(bob, 'services/spec', 'read'))
})

t.test('invalid rules are coded errors', async t => {
  const bad: unknown[] = [
    'x', [null], [{ subject: 'admin', prefix: '', access: 'read' }],
    [{ subject: '*', prefix: '/a', access: 'read' }], [{ subject: '*', prefix: 'a//b', access: 'read' }],
    [{ subject: '*', prefix: 'a/x*', access: 'read' }], [{ subject: '*', prefix: 'a/{self}x', access: 'read' }],
    [{ subject: '*', prefix: '', access: 'all' }], [{ subject: '*', prefix: '', access: 'read', extra: 1 }]
  ]
  for (const rules of bad) t.throws(() => validateRules(rules), { code: 'SYSCFG_ERR_RULES_INVALID' }, JSON.stringify(rules))
  t.doesNotThrow(() => validateRules(DEFAULT_RULES))
})
