// Invitation codes: random 128-bit values (base64url) with a use count, an optional expiry and a
// closed flag. `check` is the cheap early test; `consume` re-checks and counts the use inside the
// registration's transaction.
import { randomBytes } from 'node:crypto'
import type { SnStore } from '../store/store.ts'
import type { InviteInfo } from './types.ts'
import { SN_ERR_BAD_REQUEST, SN_ERR_INVITE_INVALID } from '../errors.ts'

const CODE = /^[A-Za-z0-9_-]{22}$/

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
    const code = randomBytes(16).toString('base64url')
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
