// Username/password checks for the SOCKS server (RFC 1929) and the users list it reads.
// Passwords are compared as SHA-256 digests with timingSafeEqual: equal lengths whatever the
// input, so neither the password's length nor the first differing byte shows in the timing. An
// unknown user is compared against a dummy digest, so "no such user" costs the same as "wrong
// password".
import { createHash, timingSafeEqual } from 'node:crypto'
import { SOCKS_ERR_USERS_INVALID } from './errors.ts'

const MAX_FIELD_BYTES = 255 // RFC 1929: ULEN and PLEN are one byte
const DUMMY = digest('\u0000no such user')

function digest (s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest()
}

/** Constant-time comparison (crypto.timingSafeEqual over equal-length digests). */
export function checkPassword (users: ReadonlyMap<string, string>, username: string, password: string): boolean {
  const stored = users.get(username)
  const expected = stored === undefined ? DUMMY : digest(stored)
  const same = timingSafeEqual(expected, digest(password))
  return stored !== undefined && same
}

/**
 * Users from "user:password" lines. Blank lines and lines starting with # are skipped; the first
 * ':' splits (passwords may contain ':'); surrounding whitespace of a line is dropped. `source`
 * names the file or environment variable in errors, with the 1-based line number. A user listed
 * twice is an error: which of the two passwords applies would be a guess.
 */
export function loadUsers (text: string, source: string): Map<string, string> {
  const users = new Map<string, string>()
  const lines = text.split(/\r?\n/)
  lines.forEach((raw, i) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const n = i + 1
    const colon = line.indexOf(':')
    if (colon < 0) throw new SOCKS_ERR_USERS_INVALID(source, n, 'expected "user:password"')
    const user = line.slice(0, colon)
    const password = line.slice(colon + 1)
    if (user === '') throw new SOCKS_ERR_USERS_INVALID(source, n, 'empty username')
    if (password === '') throw new SOCKS_ERR_USERS_INVALID(source, n, `empty password for "${user}"`)
    if (Buffer.byteLength(user) > MAX_FIELD_BYTES) throw new SOCKS_ERR_USERS_INVALID(source, n, 'username longer than 255 bytes')
    if (Buffer.byteLength(password) > MAX_FIELD_BYTES) throw new SOCKS_ERR_USERS_INVALID(source, n, `password for "${user}" longer than 255 bytes`)
    if (!user.isWellFormed() || !password.isWellFormed()) throw new SOCKS_ERR_USERS_INVALID(source, n, 'not well-formed text')
    if (users.has(user)) throw new SOCKS_ERR_USERS_INVALID(source, n, `user "${user}" is listed twice`)
    users.set(user, password)
  })
  return users
}
