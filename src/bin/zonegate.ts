// The zonegate command. The only module that reads argv, makes the root logger, handles signals
// and ends the process. Exit codes: 0 done, 1 the work failed (invalid config, start failure),
// 2 the command line was wrong or an input file could not be read.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import YAML from 'yaml'
import { constants } from 'node:os'
import type { Logger } from '../core/logger.ts'
import { createRootLogger } from '../core/logger.ts'
import { hasCode } from '../core/errors.ts'
import { loadConfig, validateConfigFile } from '../config/load.ts'
import { formatProblem, CFG_ERR_READ, type CFG_ERR_INVALID } from '../config/errors.ts'
import type { GatewayConfig, SnConfig } from '../config/types.ts'
import { generateKeyFile } from '../identity/key-file.ts'
import { CLI_ERR_USAGE } from './errors.ts'
import { COMMAND_NAMES, MAIN_USAGE, commandUsage, type CommandName } from './usage.ts'

type Options = NonNullable<ParseArgsConfig['options']>

const HELP: Options = { help: { type: 'boolean', short: 'h' } }
const CONFIG: Options = { config: { type: 'string', short: 'c' } }
const OPTIONS: Readonly<Record<CommandName, Options>> = {
  gateway: { ...CONFIG, ...HELP },
  sn: { ...CONFIG, uses: { type: 'string' }, note: { type: 'string' }, 'expires-in': { type: 'string' }, ...HELP },
  validate: { ...CONFIG, role: { type: 'string' }, 'check-files': { type: 'boolean' }, ...HELP },
  route: {
    ...CONFIG,
    sni: { type: 'string' },
    url: { type: 'string' },
    stack: { type: 'string' },
    method: { type: 'string' },
    header: { type: 'string', multiple: true },
    alpn: { type: 'string', multiple: true },
    source: { type: 'string' },
    peer: { type: 'string' },
    ...HELP
  },
  reload: { ...CONFIG, ...HELP },
  status: { ...CONFIG, ...HELP },
  keygen: { out: { type: 'string', short: 'o' }, force: { type: 'boolean' }, ...HELP },
  zone: HELP,
  service: HELP,
  sysconfig: { ...CONFIG, ...HELP },
  help: HELP
}

/** How long a clean stop may take after a signal before we give up on it. */
const STOP_TIMEOUT_MS = 15_000

const out = (text: string): void => { process.stdout.write(text) }
const err = (text: string): void => { process.stderr.write(text) }

function version (): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

function parse (name: CommandName, args: string[]): { values: Record<string, string | boolean | string[] | undefined>, positionals: string[] } {
  try {
    return parseArgs({ args, options: OPTIONS[name], strict: true, allowPositionals: name === 'help' || name === 'sn' }) as ReturnType<typeof parse>
  } catch (e) {
    // node:util's messages run to several sentences; the first one says what was wrong.
    const first = String((e as Error).message).split(/\. /)[0].replace(/\.$/, '')
    throw new CLI_ERR_USAGE(`${first[0].toLowerCase()}${first.slice(1)} (see "zonegate help ${name}")`)
  }
}

function required (name: CommandName, values: Record<string, unknown>, key: string, flag: string): string {
  const v = values[key]
  if (typeof v !== 'string' || v === '') throw new CLI_ERR_USAGE(`${name} needs ${flag} (see "zonegate help ${name}")`)
  return v
}

async function main (argv: string[]): Promise<void> {
  const [first, ...rest] = argv
  if (first === undefined) { err(MAIN_USAGE); process.exitCode = 2; return }
  if (first === '-h' || first === '--help') { out(MAIN_USAGE); return }
  if (first === '-v' || first === '--version') { out(version() + '\n'); return }
  if (first.startsWith('-')) throw new CLI_ERR_USAGE(`unknown option '${first}' (see "zonegate --help")`)
  if (!(COMMAND_NAMES as readonly string[]).includes(first)) throw new CLI_ERR_USAGE(`unknown command '${first}' (see "zonegate --help")`)
  const name = first as CommandName
  if (name === 'zone') {
    // Zone commands talk to an SN's public API and parse their own options.
    const { runZoneCommand } = await import('./zone-command.ts')
    process.exitCode = await runZoneCommand(rest, { out, err })
    return
  }
  if (name === 'service') {
    const { runServiceCommand } = await import('./service-command.ts')
    process.exitCode = await runServiceCommand(rest, { out, err })
    return
  }
  const { values, positionals } = parse(name, rest)
  if (values.help === true) { out(commandUsage(name)); return }
  switch (name) {
    case 'help': return help(positionals)
    case 'validate': return await validate(values)
    case 'keygen': return await keygen(values)
    case 'route': return await route(values)
    case 'reload':
    case 'status': return await control(name, required(name, values, 'config', '-c FILE'))
    case 'sn':
      if (positionals.length > 0) return await snAdmin(positionals, values)
      return await serve(name, required(name, values, 'config', '-c FILE'))
    case 'gateway': return await serve(name, required(name, values, 'config', '-c FILE'))
    case 'sysconfig': return await serve('gateway', required(name, values, 'config', '-c FILE'), 'sysconfig')
  }
}

function help (positionals: string[]): void {
  if (positionals.length === 0) { out(MAIN_USAGE); return }
  const [topic, extra] = positionals
  if (extra !== undefined) throw new CLI_ERR_USAGE('help takes at most one command name')
  if (!(COMMAND_NAMES as readonly string[]).includes(topic)) throw new CLI_ERR_USAGE(`unknown command '${topic}' (see "zonegate --help")`)
  out(commandUsage(topic as CommandName))
}

async function validate (values: Record<string, unknown>): Promise<void> {
  const file = required('validate', values, 'config', '-c FILE')
  const role = values.role
  if (role !== undefined && role !== 'gateway' && role !== 'sn') throw new CLI_ERR_USAGE(`--role must be gateway or sn, got '${String(role)}'`)
  const problems = await validateConfigFile(file, { role, checkFiles: values['check-files'] === true })
  if (problems.length === 0) {
    const { configWarnings } = await import('../config/warnings.ts')
    const warnings = configWarnings(await loadConfig(file, role))
    if (warnings.length > 0) err(warnings.join('\n') + '\n')
    out(`${file}: ok\n`)
    return
  }
  err(problems.map(p => formatProblem(p) + '\n').join(''))
  process.exitCode = 1
}

/** Load a gateway config for a tool command; prints the problems and returns undefined when invalid. */
async function gatewayConfig (file: string): Promise<GatewayConfig | undefined> {
  try {
    return await loadConfig(file, 'gateway') as GatewayConfig
  } catch (e) {
    if (!hasCode(e, 'CFG_ERR_INVALID')) throw e
    err((e as InstanceType<typeof CFG_ERR_INVALID>).problems.map(p => formatProblem(p) + '\n').join(''))
    process.exitCode = 1
    return undefined
  }
}

async function route (values: Record<string, unknown>): Promise<void> {
  const file = required('route', values, 'config', '-c FILE')
  const sni = values.sni as string | undefined
  const urlText = values.url as string | undefined
  if (sni == null && urlText == null) throw new CLI_ERR_USAGE('route needs --sni NAME or --url URL (see "zonegate help route")')
  let url: URL | undefined
  if (urlText != null) {
    try {
      url = new URL(urlText)
    } catch {
      throw new CLI_ERR_USAGE(`--url must be an absolute URL such as http://app.example.test/path, got '${urlText}'`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CLI_ERR_USAGE(`--url must be http:// or https://, got '${urlText}'`)
  }
  const headers = ((values.header ?? []) as string[]).map((h): [string, string] => {
    const i = h.indexOf(':')
    if (i <= 0) throw new CLI_ERR_USAGE(`--header must be NAME:VALUE, got '${h}'`)
    return [h.slice(0, i).trim(), h.slice(i + 1).trim()]
  })
  const config = await gatewayConfig(file)
  if (config == null) return
  const stackId = values.stack as string | undefined
  const stack = stackId == null ? config.stacks[0] : config.stacks.find(s => s.id === stackId)
  if (stack == null) {
    throw new CLI_ERR_USAGE(stackId == null ? `${file} has no stacks` : `no stack "${stackId}" in ${file}; stacks: ${config.stacks.map(s => s.id).join(', ')}`)
  }
  const { dryRun } = await import('../chain/dry-run.ts')
  const result = dryRun(config.chains, {
    stack: stack.id,
    chain: stack.chain,
    ...(sni != null ? { sni: sni.toLowerCase() } : {}),
    ...(url != null ? { url } : {}),
    ...(values.method != null ? { method: values.method as string } : {}),
    headers,
    ...(values.alpn != null ? { alpn: values.alpn as string[] } : {}),
    ...(values.source != null ? { source: values.source as string } : {}),
    ...(values.peer != null ? { peer: values.peer as string } : {})
  })
  const lines = [`stack ${stack.id} (${stack.listen}) → chain ${stack.chain}`]
  for (const step of result.steps) {
    lines.push(`chain ${step.chain}:`)
    for (const t of step.trace) lines.push(`  ${t}`)
  }
  const last = result.steps[result.steps.length - 1]
  if (result.outcome == null || last?.route == null) {
    lines.push('result: no route matches; the connection would be closed')
    process.exitCode = 1
  } else {
    const pos = last.route.spec.pos
    lines.push(`result: route ${last.route.spec.id} of chain ${last.chain}${pos != null ? ` (${pos.file}:${pos.line})` : ''}: ${result.outcome}`)
  }
  out(lines.join('\n') + '\n')
}

/**
 * Where the running gateway of `file` listens for control calls. Read leniently from the YAML: a
 * reload is most needed right after the file was edited, and the gateway reports what is wrong
 * with the new file itself.
 */
function controlOf (file: string): { listen: string, tokenFile: string } | undefined {
  let data: unknown
  try {
    data = YAML.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code != null) throw new CFG_ERR_READ(file, (e as NodeJS.ErrnoException).code!)
    return undefined
  }
  const c = (data as { control?: { listen?: unknown, token_file?: unknown } } | null)?.control
  if (typeof c?.listen !== 'string') return undefined
  const tokenFile = typeof c.token_file === 'string' ? resolve(dirname(resolve(file)), c.token_file) : `${resolve(file)}.token`
  return { listen: c.listen, tokenFile }
}

/** One call to the control API of the process that runs `file`; prints why when it cannot be made. */
async function callControl (file: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number, body: Record<string, unknown> } | undefined> {
  const c = controlOf(file)
  if (c == null) {
    err(`zonegate: ${file} has no control section; add "control: { listen: 127.0.0.1:7391 }" (and restart)${path === '/v1/reload' ? ', or send SIGHUP to the process to reload' : ''}\n`)
    process.exitCode = 1
    return undefined
  }
  let token: string
  try {
    token = readFileSync(c.tokenFile, 'utf8').trim()
  } catch (e) {
    err(`zonegate: cannot read the control token ${c.tokenFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; is the process running?\n`)
    process.exitCode = 1
    return undefined
  }
  const [host, port] = [c.listen.replace(/:\d+$/, ''), c.listen.replace(/^.*:/, '')]
  try {
    const res = await fetch(`http://${host}:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(60_000)
    })
    return { status: res.status, body: await res.json() as Record<string, unknown> }
  } catch (e) {
    err(`zonegate: nothing answers on ${c.listen}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}\n`)
    process.exitCode = 1
    return undefined
  }
}

async function control (name: 'reload' | 'status', file: string): Promise<void> {
  const r = await callControl(file, name === 'reload' ? 'POST' : 'GET', `/v1/${name}`)
  if (r == null) return
  const body = r.body
  if (name === 'status') { out(JSON.stringify(body, null, 2) + '\n'); return }
  if (r.status === 200) {
    out(`reloaded: started [${String(body.started)}], stopped [${String(body.stopped)}], updated [${String(body.updated)}]\n`)
    if (Array.isArray(body.needsRestart)) err(`zonegate: changes to ${body.needsRestart.join(', ')} apply only after a restart\n`)
    return
  }
  const problems = body.problems as Array<Parameters<typeof formatProblem>[0]> | undefined
  err(`zonegate: reload refused, nothing changed: ${problems != null ? '\n' + problems.map(p => formatProblem(p)).join('\n') : String(body.error)}\n`)
  process.exitCode = 1
}

/** zonegate sn invite create|list|close, registration open|close, deny|allow zone|device ID. */
async function snAdmin (args: string[], values: Record<string, unknown>): Promise<void> {
  const file = required('sn', values, 'config', '-c FILE')
  const [what, arg, extra] = args
  let action: string
  let body: Record<string, unknown> = {}
  if (what === 'invite' && arg === 'create' && extra === undefined) {
    action = 'invite/create'
    const uses = values.uses != null ? Number(values.uses) : 1
    if (!Number.isInteger(uses) || uses < 1) throw new CLI_ERR_USAGE(`--uses must be a whole number of at least 1, got '${String(values.uses)}'`)
    body = { uses }
    if (typeof values.note === 'string') body.note = values.note
    if (typeof values['expires-in'] === 'string') {
      const { parseDuration } = await import('../config/units.ts')
      const ms = parseDuration(values['expires-in'])
      if (typeof ms !== 'number') throw new CLI_ERR_USAGE(`--expires-in must be a duration such as "24h", got '${values['expires-in']}'`)
      body.expires_in_ms = ms
    }
  } else if (what === 'invite' && arg === 'list' && extra === undefined) {
    action = 'invite/list'
  } else if (what === 'invite' && arg === 'close' && extra != null) {
    action = 'invite/close'
    body = { code: extra }
  } else if (what === 'registration' && (arg === 'open' || arg === 'close') && extra === undefined) {
    action = 'registration'
    body = { open: arg === 'open' }
  } else if ((what === 'deny' || what === 'allow') && (arg === 'zone' || arg === 'device') && extra != null) {
    action = what
    body = { kind: arg, id: extra }
  } else {
    throw new CLI_ERR_USAGE(`unknown sn action '${args.join(' ')}' (see "zonegate help sn")`)
  }
  const r = await callControl(file, 'POST', `/v1/admin/${action}`, body)
  if (r == null) return
  if (r.status !== 200) {
    err(`zonegate: ${String(r.body.error ?? `the SN answered ${r.status}`)}\n`)
    process.exitCode = 1
    return
  }
  if (action === 'invite/create') { out(`${String(r.body.code)}\n`); return }
  out(JSON.stringify(r.body, null, 2) + '\n')
}

async function keygen (values: Record<string, unknown>): Promise<void> {
  const file = required('keygen', values, 'out', '--out FILE')
  try {
    const { did } = await generateKeyFile(file, { force: values.force === true })
    out(did + '\n')
  } catch (e) {
    if (!hasCode(e, 'ID_ERR_KEY_FILE_EXISTS')) throw e
    err(`zonegate: ${file} already exists; use --force to replace it\n`)
    process.exitCode = 1
  }
}

interface Running { stop(): Promise<void> }

async function start (role: 'gateway' | 'sn', config: GatewayConfig | SnConfig, logger: Logger): Promise<Running> {
  if (role === 'gateway') {
    const { runGateway } = await import('../gateway/run.ts')
    return await runGateway(config as GatewayConfig, { logger })
  }
  const { runSn } = await import('../sn/run.ts')
  return await runSn(config as SnConfig, { logger })
}

/** How long exiting waits for the last log lines to be written. */
const FLUSH_TIMEOUT_MS = 1000

function flushAndExit (logger: Logger, code: number): void {
  // A broken or stalled stdout (the reader died) must not keep the process alive: flush if we
  // can, exit regardless.
  setTimeout(() => process.exit(code), FLUSH_TIMEOUT_MS)
  try {
    logger.flush(() => process.exit(code))
  } catch {
    process.exit(code)
  }
}

async function serve (role: 'gateway' | 'sn', file: string, as?: 'sysconfig'): Promise<void> {
  let config
  try {
    config = await loadConfig(file, role) as GatewayConfig | SnConfig
  } catch (e) {
    if (!hasCode(e, 'CFG_ERR_INVALID')) throw e
    err((e as InstanceType<typeof CFG_ERR_INVALID>).problems.map(p => formatProblem(p) + '\n').join(''))
    process.exitCode = 1
    return
  }
  // `zonegate sysconfig` is the same process with only its system-config to serve: say so when
  // the file does not serve one where clients can reach it.
  if (as === 'sysconfig' && (config.role !== 'gateway' || config.sysconfig?.serve?.listen == null)) {
    err(`zonegate: ${file} does not serve a system-config on an address: add sysconfig.serve.listen (e.g. 127.0.0.1:3200), or run it inside a gateway\n`)
    process.exitCode = 1
    return
  }
  const logger = createRootLogger({ level: config.log.level })
  const fatal = (what: string) => (e: unknown): void => {
    logger.fatal({ err: e }, what)
    flushAndExit(logger, 1)
  }
  process.on('uncaughtException', fatal('uncaught exception'))
  process.on('unhandledRejection', fatal('unhandled rejection'))

  let running: Running | undefined
  let signals = 0
  const stop = (): void => {
    const timer = setTimeout(() => { logger.error({ ms: STOP_TIMEOUT_MS }, 'stop timed out'); flushAndExit(logger, 1) }, STOP_TIMEOUT_MS)
    running!.stop().then(() => {
      clearTimeout(timer)
      logger.info({ role }, 'stopped')
      flushAndExit(logger, 0)
    }, (e: unknown) => {
      clearTimeout(timer)
      fatal('stop failed')(e)
    })
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++
    // A second signal means the operator does not want to wait for a clean stop.
    if (signals > 1) process.exit(128 + (constants.signals[signal] ?? 0))
    logger.info({ signal }, 'stopping')
    if (running != null) stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('SIGHUP', () => {
    const r = running as { reload?: () => Promise<unknown> } | undefined
    if (r?.reload == null) return
    logger.info({ signal: 'SIGHUP' }, 'reloading')
    r.reload().catch((e: unknown) => logger.error({ err: e }, 'reload failed'))
  })

  try {
    running = await start(role, config, logger)
  } catch (e) {
    logger.fatal({ err: e }, 'start failed')
    err(`zonegate: ${role} could not start: ${(e as Error)?.message ?? String(e)}\n`)
    flushAndExit(logger, 1)
    return
  }
  // A signal that arrived while starting is honoured now that there is something to stop.
  if (signals > 0) stop()
}

main(process.argv.slice(2)).catch((e: unknown) => {
  err(`zonegate: ${(e as Error)?.message ?? String(e)}\n`)
  // A wrong command line or an unreadable input file is the caller's to fix: 2, as for usage.
  process.exitCode = hasCode(e, 'CLI_ERR_USAGE') || hasCode(e, 'CFG_ERR_READ') ? 2 : 1
})
