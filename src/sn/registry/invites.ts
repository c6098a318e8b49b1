// Invitation codes: random 128-bit values with a use count, an optional expiry and a closed flag.
// A code reads "inv-" and 26 lowercase base32 letters: it is pasted into shells and read aloud, so
// no code may start with "-" (a CLI would take it for an option) or mix up 0/O and 1/l. `check` is the cheap early test; `consume` re-checks and counts the use inside the
// registration's transaction.
import { randomBytes } from 'node:crypto'
import type { SnStore } from '../store/store.ts'
import type { InviteInfo } from './types.ts'
import { SN_ERR_BAD_REQUEST, SN_ERR_INVITE_INVALID } from '../errors.ts'

const CODE = /^inv-[a-z2-7]{26}$/
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** `inv-` + the 128 bits in lowercase RFC 4648 base32 without padding. */
export function newInviteCode (): string {
  let bits = 0n
  for (const byte of randomBytes(16)) bits = (bits << 8n) | BigInt(byte)
  bits <<= 2n // 128 bits fill 26 letters of 5 bits with 2 to spare
  let out = ''
  for (let i = 25; i >= 0; i--) out += BASE32[Number((bits >> BigInt(i * 5)) & 31n)]
  return `inv-${out}`
}

export class InviteBook {
  #store: SnStore
  #now: () => number

  constructor (store: SnStore, now: () => number) {
    this.#store = store
    this.#now = now
  }

  create (options: { uses?: number, expiresAt?: number, note?: string } = {}): { code: string } {
    const uses = options.uses ?? 1
    if (!Number.isSafeInteger(uses) || uses < 1) throw new SN_ERR_BAD_REQUEST('invite uses must be a positive integer')
    if (options.expiresAt !== undefined && !Number.isFinite(options.expiresAt)) throw new SN_ERR_BAD_REQUEST('invite expiresAt must be a time in ms')
    const code = newInviteCode()
    this.#store.insertInvite({ code, uses, used: 0, closed: 0, expires_at: options.expiresAt ?? null, note: options.note ?? null })
    return { code }
  }

  close (code: string): boolean {
    return this.#store.closeInvite(code)
  }

  list (): InviteInfo[] {
    return this.#store.invites().map(r => {
      const info: InviteInfo = { code: r.code, uses: r.uses, used: r.used, closed: r.closed === 1 }
      if (r.expires_at !== null) info.expiresAt = r.expires_at
      if (r.note !== null) info.note = r.note
      return info
    })
  }

  /** Throws SN_ERR_INVITE_INVALID unless `code` can be used now. */
  check (code: unknown): void {
    if (typeof code !== 'string' || !CODE.test(code)) throw new SN_ERR_INVITE_INVALID('not an invitation code')
    const row = this.#store.invite(code)
    if (row === undefined) throw new SN_ERR_INVITE_INVALID('unknown code')
    if (row.closed === 1) throw new SN_ERR_INVITE_INVALID('closed')
    if (row.used >= row.uses) throw new SN_ERR_INVITE_INVALID('used up')
    if (row.expires_at !== null && row.expires_at <= this.#now()) throw new SN_ERR_INVITE_INVALID('expired')
  }

  /** Call inside the registration transaction. */
  consume (code: string): void {
    this.check(code)
    this.#store.useInvite(code)
  }
}
