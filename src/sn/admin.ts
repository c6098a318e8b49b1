// The SN operator's actions on the control API (loopback, token): POST /v1/admin/<action>.
// `zonegate sn invite|registration|deny|allow` are thin clients of these.
import type { AdminHandler } from '../gateway/control.ts'
import type { SnRegistry } from './registry/types.ts'

const ok = (body: unknown): { status: number, body: unknown } => ({ status: 200, body })
const bad = (message: string): { status: number, body: unknown } => ({ status: 400, body: { error: message } })

function kindOf (v: unknown): 'zone' | 'device' | undefined {
  return v === 'zone' || v === 'device' ? v : undefined
}

/** `onDenied` ends what a denied device (or every device of a denied zone) still has open. */
export function snAdmin (registry: SnRegistry, onDenied: (dids: string[]) => Promise<void> = async () => {}): AdminHandler {
  return async (action, body) => {
    switch (action) {
      case 'invite/create': {
        const uses = body.uses === undefined ? 1 : body.uses
        if (typeof uses !== 'number' || !Number.isInteger(uses) || uses < 1) return bad('uses must be a whole number of at least 1')
        const expiresIn = body.expires_in_ms
        if (expiresIn !== undefined && (typeof expiresIn !== 'number' || expiresIn <= 0)) return bad('expires_in_ms must be a positive number')
        const note = typeof body.note === 'string' ? body.note.slice(0, 200) : undefined
        return ok(registry.createInvite({ uses, ...(expiresIn !== undefined ? { expiresAt: Date.now() + expiresIn } : {}), ...(note != null ? { note } : {}) }))
      }
      case 'invite/close':
        if (typeof body.code !== 'string') return bad('code is required')
        return registry.closeInvite(body.code) ? ok({ closed: body.code }) : { status: 404, body: { error: `no invitation ${body.code}` } }
      case 'invite/list':
        return ok({ invites: registry.listInvites() })
      case 'registration':
        if (typeof body.open !== 'boolean') return bad('open must be true or false')
        registry.setRegistrationOpen(body.open)
        return ok({ open: registry.registrationOpen() })
      case 'deny':
      case 'allow': {
        const kind = kindOf(body.kind)
        if (kind == null || typeof body.id !== 'string' || body.id === '') return bad('kind (zone or device) and id are required')
        if (action === 'deny') {
          registry.deny(kind, body.id)
          // Admission is checked per handshake: tunnels that are already up are closed here.
          const dids = kind === 'device' ? [body.id] : (registry.zoneInfo(body.id)?.devices.map(d => d.did) ?? [])
          await onDenied(dids)
        } else {
          registry.allow(kind, body.id)
        }
        return ok({ kind, id: body.id, denied: registry.isDenied(kind, body.id) })
      }
      default:
        return { status: 404, body: { error: `unknown action ${action}; known: invite/create, invite/close, invite/list, registration, deny, allow` } }
    }
  }
}
