// `zonegate service announce …`: report one service instance to a zone's system-config until
// SIGINT/SIGTERM, then withdraw it (delete its key). Every RPC carries a JWT signed with the
// device key (aud = the zone), so system-config's rules let it write only its own instance key.
// Exit codes as for zonegate: 0 done, 1 system-config refused or failed, 2 bad command line/input.
import { parseArgs } from 'node:util'
import { pino, type Logger } from 'pino'
import { GatewayError } from '../core/errors.ts'
import { parseDuration } from '../config/units.ts'
import { loadDeviceKey } from '../identity/key-file.ts'
import { signJwt } from '../identity/jwt.ts'
import { createSysConfigClient } from '../sysconfig/client.ts'
import { fromClient } from '../discovery/source.ts'
import { announceInstance } from '../discovery/announce.ts'
import { isNodeName, isPortName, isServiceName } from '../discovery/records.ts'
import { CLI_ERR_USAGE } from './errors.ts'

export interface ServiceCommandIo {
  out: (text: string) => void
  err: (text: string) => void
  /** Ends `announce` like SIGINT would (tests, embedding). */
  signal?: AbortSignal
}

export const SERVICE_USAGE = `Usage: zonegate service announce [options]

Report a service instance of this node to the zone's system-config and keep it fresh
(refreshed every ttl/3) until SIGINT or SIGTERM, then delete the report.

Options:
      --sysconfig URL   the system-config endpoint, e.g. http://127.0.0.1:3180/kapi/system_config
      --token-key FILE  this device's key file (signs the tokens of every call)
      --zone ZONE       the zone name, the audience of those tokens
      --service NAME    the service ([a-z0-9][a-z0-9_-]*)
      --node NAME       this node's device name in the zone
      --port NAME=PORT  a named port, e.g. http=8080 (repeat for more)
      --weight N        share of traffic among equal instances (default 1)
      --ttl DURATION    how long a report lives without a refresh (default 30s)
      --log-level L     log level on stderr (default info)
  -h, --help            show this help

Exit status: 0 withdrawn after a signal, 1 system-config refused or failed, 2 bad command line.
`

/** Tokens live 5 minutes and are replaced a minute before they expire. */
const TOKEN_TTL_S = 300
const TOKEN_RENEW_MS = 60_000

export async function runServiceCommand (args: string[], io: ServiceCommandIo): Promise<number> {
  try {
    return await run(args, io)
  } catch (e) {
    if (e instanceof CLI_ERR_USAGE) {
      io.err(`zonegate service: ${e.message}\n`)
      return 2
    }
    if (e instanceof GatewayError) {
      const input = e.code.startsWith('ID_ERR_KEY_FILE') || e.code === 'ID_ERR_INVALID_KEY_FILE' || e.code.startsWith('SVC_ERR_BAD')
      io.err(`zonegate service: ${e.code}: ${e.message}\n`)
      return input ? 2 : 1
    }
    throw e
  }
}

async function run (args: string[], io: ServiceCommandIo): Promise<number> {
  const [sub, ...rest] = args
  if (sub === undefined) { io.err(SERVICE_USAGE); return 2 }
  if (sub === '-h' || sub === '--help' || sub === 'help') { io.out(SERVICE_USAGE); return 0 }
  if (sub !== 'announce') throw new CLI_ERR_USAGE(`unknown service command '${sub}' (see "zonegate service --help")`)
  let values: Record<string, string | string[] | boolean | undefined>
  try {
    values = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options: {
        sysconfig: { type: 'string' },
        'token-key': { type: 'string' },
        zone: { type: 'string' },
        service: { type: 'string' },
        node: { type: 'string' },
        port: { type: 'string', multiple: true },
        weight: { type: 'string' },
        ttl: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (e) {
    const first = String((e as Error).message).split(/\. /)[0].replace(/\.$/, '')
    throw new CLI_ERR_USAGE(`announce: ${first[0].toLowerCase()}${first.slice(1)} (see "zonegate service --help")`)
  }
  if (values.help === true) { io.out(SERVICE_USAGE); return 0 }
  const need = (name: string): string => {
    const v = values[name]
    if (typeof v !== 'string' || v === '') throw new CLI_ERR_USAGE(`announce needs --${name} (see "zonegate service --help")`)
    return v
  }
  const sysconfig = need('sysconfig')
  const keyFile = need('token-key')
  const zone = need('zone')
  const service = need('service')
  const node = need('node')
  if (!isServiceName(service)) throw new CLI_ERR_USAGE(`--service ${JSON.stringify(service)} is not a service name ([a-z0-9][a-z0-9_-]*, up to 63)`)
  if (!isNodeName(node)) throw new CLI_ERR_USAGE(`--node ${JSON.stringify(node)} is not a node name`)
  try { void new URL(sysconfig) } catch { throw new CLI_ERR_USAGE(`--sysconfig ${JSON.stringify(sysconfig)} is not a URL`) }
  const ports = parsePorts(values.port as string[] | undefined)
  const ttlMs = values.ttl === undefined ? undefined : parseDuration(values.ttl)
  if (ttlMs === undefined && values.ttl !== undefined) throw new CLI_ERR_USAGE(`--ttl ${JSON.stringify(values.ttl)} is not a duration (e.g. 30s)`)
  if (ttlMs !== undefined && ttlMs < 1000) throw new CLI_ERR_USAGE('--ttl must be at least 1s')
  const weight = values.weight === undefined ? undefined : Number(values.weight)
  if (weight !== undefined && !(weight > 0 && weight <= 1000)) throw new CLI_ERR_USAGE('--weight must be a number in (0, 1000]')

  const level = typeof values['log-level'] === 'string' ? values['log-level'] : 'info'
  if (level !== 'silent' && !Object.hasOwn(pino.levels.values, level)) throw new CLI_ERR_USAGE(`--log-level ${JSON.stringify(level)} is not one of ${Object.keys(pino.levels.values).join(', ')}, silent`)
  const key = await loadDeviceKey(keyFile)
  const logger = cliLogger(io, level)
  let cached: { token: string, renewAt: number } | undefined
  const token = async (): Promise<string> => {
    if (cached === undefined || Date.now() >= cached.renewAt) {
      cached = { token: await signJwt(key, {}, { audience: zone, ttlSeconds: TOKEN_TTL_S }), renewAt: Date.now() + TOKEN_TTL_S * 1000 - TOKEN_RENEW_MS }
    }
    return cached.token
  }
  const source = fromClient(createSysConfigClient({ url: sysconfig, token }))

  const stopped = new AbortController()
  const onSignal = (): void => stopped.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  io.signal?.addEventListener('abort', onSignal, { once: true })
  try {
    const announcement = announceInstance({ source, service, node, ports, weight, ttlMs, pid: process.pid, logger })
    try {
      await announcement.written
    } catch (e) {
      await announcement.stop().catch(() => {})
      throw e
    }
    io.out(`announced ${announcement.key}\n`)
    // The refresh timer is unref'd (library use must not hold a process open): here the
    // command itself is what keeps the process alive until a signal.
    const keepAlive = setInterval(() => {}, 1 << 30)
    try {
      if (!stopped.signal.aborted) await new Promise(resolve => stopped.signal.addEventListener('abort', resolve, { once: true }))
    } finally {
      clearInterval(keepAlive)
    }
    await announcement.stop()
    io.out(`withdrew ${announcement.key}\n`)
    return 0
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    io.signal?.removeEventListener('abort', onSignal)
  }
}

function parsePorts (specs: string[] | undefined): Record<string, number> {
  if (specs === undefined || specs.length === 0) throw new CLI_ERR_USAGE('announce needs at least one --port NAME=PORT (see "zonegate service --help")')
  const ports: Record<string, number> = {}
  for (const spec of specs) {
    const m = /^([^=]+)=(\d{1,5})$/.exec(spec)
    const port = m == null ? NaN : Number(m[2])
    if (m == null || !isPortName(m[1]) || port < 1 || port > 65535) throw new CLI_ERR_USAGE(`--port ${JSON.stringify(spec)} must be NAME=PORT, e.g. http=8080`)
    if (Object.hasOwn(ports, m[1])) throw new CLI_ERR_USAGE(`--port ${m[1]} is given twice`)
    ports[m[1]] = port
  }
  return ports
}

/** JSON lines on the command's error stream, like the gateway's own log. */
function cliLogger (io: ServiceCommandIo, level: string): Logger {
  return pino({ level, base: { pid: process.pid } }, { write: (line: string) => io.err(line) })
}
