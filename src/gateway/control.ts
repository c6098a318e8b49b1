// The control API: HTTP on a loopback address, every request carrying the token from the token
// file (made with mode 0600 at first start). `zonegate reload` and `zonegate status` use it.
//   POST /v1/reload   reload the config file; 200 with what changed, 422 with why nothing did
//   GET  /v1/status   stacks, chains, routes, upstream health, tunnels
//   POST /v1/admin/<action>   operator actions of the role (an SN: invitations, registration, denylist)
import http from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import type { Logger } from '../core/logger.ts'
import type { ControlConfig } from '../config/types.ts'
import { parseHostPort } from '../config/host-port.ts'

/** An operator action: JSON in, a status and JSON out. Unknown actions answer 404. */
export type AdminHandler = (action: string, body: Record<string, unknown>) => Promise<{ status: number, body: unknown }>

export interface ControlHandlers {
  reload(): Promise<{ ok: boolean }>
  status(): Record<string, unknown>
  admin?: AdminHandler
}

/** Largest admin request body read. */
const MAX_ADMIN_BODY = 64 * 1024

export interface ControlServer {
  readonly url: string
  close(): Promise<void>
}

/** Read the token, making the file (0600) when it does not exist yet. */
export async function ensureToken (file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const token = randomBytes(32).toString('base64url')
  try {
    await writeFile(file, token + '\n', { mode: 0o600, flag: 'wx' })
    return token
  } catch (err) {
    // Another process made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim()
    throw err
  }
}

function sameToken (given: string | undefined, token: Buffer): boolean {
  if (given == null || !given.startsWith('Bearer ')) return false
  const g = Buffer.from(given.slice(7))
  return g.length === token.length && timingSafeEqual(g, token)
}

function reply (res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body) + '\n'
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

async function readJson (req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_ADMIN_BODY) throw new Error('the request body is larger than 64 KiB')
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new Error('the request body must be a JSON object')
  return value as Record<string, unknown>
}

export async function startControl (cfg: ControlConfig, handlers: ControlHandlers, logger: Logger): Promise<ControlServer> {
  const log = logger.child({ mod: 'gateway.control' })
  const token = Buffer.from(await ensureToken(cfg.tokenFile))
  const hp = parseHostPort(cfg.listen, 'listen')
  if (typeof hp === 'string') throw new TypeError(`control.listen ${cfg.listen}: ${hp}`)
  const server = http.createServer((req, res) => {
    if (!sameToken(req.headers.authorization, token)) { req.resume(); return reply(res, 401, { error: 'a valid token is required (Authorization: Bearer <token file contents>)' }) }
    const admin = /^\/v1\/admin\/([a-z0-9_/-]+)$/.exec(req.url ?? '')
    if (req.method === 'POST' && admin != null && handlers.admin != null) {
      readJson(req).then(async body => await handlers.admin!(admin[1], body), (err: Error) => ({ status: 400, body: { error: err.message } }))
        .then(r => reply(res, r.status, r.body), (err: unknown) => reply(res, 500, { error: (err as Error).message }))
      return
    }
    req.resume()
    if (req.method === 'POST' && req.url === '/v1/reload') {
      handlers.reload().then(r => reply(res, r.ok ? 200 : 422, r), (err: unknown) => reply(res, 500, { ok: false, error: (err as Error).message }))
      return
    }
    if (req.method === 'GET' && req.url === '/v1/status') return reply(res, 200, handlers.status())
    reply(res, 404, { error: 'known: POST /v1/reload, GET /v1/status' })
  })
  server.headersTimeout = 10_000
  server.requestTimeout = 60_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: hp.host, port: hp.port }, () => { server.off('error', reject); resolve() })
  })
  const addr = server.address() as { address: string, port: number, family: string }
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
  log.info({ url, role: 'control' }, 'listening')
  return {
    url,
    async close () {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}
