// checkPassword (correctness only; timing is not asserted) and loadUsers: format, comments, line
// numbers in errors, and a property test that any text gives a map or a coded error.
import t from 'tap'
import fc from 'fast-check'
import { checkPassword, loadUsers } from '../../../src/socks/auth.ts'

t.test('checkPassword', async t => {
  const users = new Map([['alice', 'pw'], ['bob', 'pä:ss']])
  t.ok(checkPassword(users, 'alice', 'pw'))
  t.ok(checkPassword(users, 'bob', 'pä:ss'))
  t.notOk(checkPassword(users, 'alice', 'pw2'))
  t.notOk(checkPassword(users, 'alice', 'p'))
  t.notOk(checkPassword(users, 'alice', ''))
  t.notOk(checkPassword(users, 'carol', 'pw'), 'unknown user')
  t.notOk(checkPassword(users, 'bob', 'pw'), 'another user\'s password')
  t.notOk(checkPassword(new Map(), 'alice', 'pw'))
})

t.test('loadUsers: format', async t => {
  const m = loadUsers('# users\n\nalice:pw\r\n  bob:a:b:c  \n#carol:x\n', 'users.txt')
  t.same([...m], [['alice', 'pw'], ['bob', 'a:b:c']])
  t.same([...loadUsers('', 'ENV')], [])
})

t.test('loadUsers: coded errors with line numbers', async t => {
  const cases: Array<[string, RegExp]> = [
    ['alice:pw\nnocolon\n', /^users\.txt:2: expected "user:password"$/],
    ['\n\n:pw', /^users\.txt:3: empty username$/],
    ['alice:', /^users\.txt:1: empty password for "alice"$/],
    ['a:1\nb:2\na:3', /^users\.txt:3: user "a" is listed twice$/],
    [`${'u'.repeat(256)}:pw`, /^users\.txt:1: username longer than 255 bytes$/],
    [`u:${'p'.repeat(256)}`, /^users\.txt:1: password for "u" longer than 255 bytes$/],
    ['u:\ud800', /^users\.txt:1: not well-formed text$/]
  ]
  for (const [text, message] of cases) {
    t.throws(() => loadUsers(text, 'users.txt'), { code: 'SOCKS_ERR_USERS_INVALID', message }, JSON.stringify(text))
  }
})

t.test('loadUsers: any text gives users or a coded error', async t => {
  const line = fc.oneof(fc.string(), fc.tuple(fc.string(), fc.string()).map(([u, p]) => `${u}:${p}`), fc.constant('# c'))
  fc.assert(fc.property(fc.array(line, { maxLength: 20 }), fc.constantFrom('\n', '\r\n'), (lines, nl) => {
    try {
      const users = loadUsers(lines.join(nl), 'p')
      for (const [u, p] of users) {
        if (u === '' || p === '' || u.includes(':')) return false
        if (!checkPassword(users, u, p)) return false
      }
      return true
    } catch (err) {
      return (err as { code?: string }).code === 'SOCKS_ERR_USERS_INVALID'
    }
  }), { interruptAfterTimeLimit: 3000, numRuns: 2000 })
})
