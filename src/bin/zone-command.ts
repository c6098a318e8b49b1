// `zonegate zone …`: a zone owner's commands against an SN (register the zone, keep its signed
// device list, show its public facts, bind a custom domain), and the enrolment of devices in the
// zone's own system-config (add-device/remove-device --sysconfig). Exit codes as for zonegate:
// 0 done, 1 the SN or system-config refused or could not be reached, 2 the command line or an
// input file was wrong.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { readFile } from 'node:fs/promises'
import { loadDeviceKey, type DeviceKey } from '../identity/key-file.ts'
import { isDid } from '../identity/did.ts'
import { GatewayError } from '../core/errors.ts'
import { createSnClient, zoneName, type SnClient, type ZoneFacts, type ZoneDevice } from '../zone/sn-client.ts'
import { ZONE_ERR_SN, ZONE_ERR_DEVICE_NOT_LISTED } from '../zone/errors.ts'
import { printable } from '../zone/sn-http.ts'
import { CLI_ERR_USAGE } from './errors.ts'
import { enrollDevice, unenrollDevice } from './zone-devices-sysconfig.ts'

export interface ZoneCommandIo { out: (text: string) => void, err: (text: string) => void }

export const ZONE_USAGE = `Usage: zonegate zone COMMAND [options]

Manage a zone at an SN (super node). The owner key is an Ed25519 key file made by
"zonegate keygen --out owner.pem"; it signs the registration and every device list.

Commands:
  register       --sn URL --invite CODE --name LABEL --owner FILE
                 register the zone LABEL.<SN domain>; prints the zone name
  add-device     --sn URL --zone ZONE --owner FILE --device DID --name NAME
                 add a device to the zone's signed device list (or rename it)
  remove-device  --sn URL --zone ZONE --owner FILE (--device DID | --name NAME)
                 remove a device from the zone's signed device list
                 With --sysconfig URL instead of --sn, both commands enroll the device in
                 (or remove it from) the zone's own system-config: devices/<name>/doc,
                 signed by the owner; the zone's nodes then trust the device's tokens.
  show           --sn URL --zone ZONE [--json]
                 print the zone's public facts: devices, custom domains, state
  bind-domain    --sn URL --zone ZONE --owner FILE --domain DOMAIN
                 start binding a custom domain; prints the TXT record to publish
  verify-domain  --sn URL --zone ZONE --owner FILE --domain DOMAIN
                 ask the SN to check that TXT record; exit 1 while it is not visible yet

Options:
      --sn URL          the SN's API, e.g. https://sn.example.net:8443
      --sysconfig URL   the zone's system-config, e.g. http://127.0.0.1:3180/kapi/system_config
      --audience NAME   the SN's domain, the audience of signed tokens (default: the URL's host)
      --ca FILE         trust only this CA certificate (PEM) for the SN's HTTPS
      --connect-to H:P  dial H:P instead of the URL's host (the URL still names the TLS server)
      --timeout MS      deadline of each request (default 10000)
  -h, --help            show this help

Exit status: 0 done, 1 the SN refused (its error code is printed) or could not be reached,
2 the command line or an input file was wrong.
`

type Options = NonNullable<ParseArgsConfig['options']>
const DEFAULT_TIMEOUT_MS = 10_000
const SUBCOMMANDS = ['register', 'add-device', 'remove-device', 'show', 'bind-domain', 'verify-domain'] as const
type Subcommand = typeof SUBCOMMANDS[number]

const OPTIONS: Options = {
  sn: { type: 'string' },
  sysconfig: { type: 'string' },
  audience: { type: 'string' },
  ca: { type: 'string' },
  'connect-to': { type: 'string' },
  timeout: { type: 'string' },
  invite: { type: 'string' },
  name: { type: 'string' },
  owner: { type: 'string' },
  zone: { type: 'string' },
  device: { type: 'string' },
  domain: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
}

type Values = Record<string, string | boolean | undefined>

export async function runZoneCommand (args: string[], io: ZoneCommandIo): Promise<number> {
  try {
    return await run(args, io)
  } catch (e) {
    if (e instanceof CLI_ERR_USAGE) {
      io.err(`zonegate zone: ${e.message}\n`)
      return 2
    }
    if (e instanceof ZONE_ERR_SN) {
      io.err(`zonegate zone: the SN refused (HTTP ${e.status}): ${e.snCode}: ${e.snMessage}\n`)
      return 1
    }
    if (e instanceof GatewayError) {
      // A key file that cannot be read or parsed is an input problem, like a usage error.
      const input = e.code.startsWith('ID_ERR_KEY_FILE') || e.code === 'ID_ERR_INVALID_KEY_FILE' || e.code === 'ZONE_ERR_INVALID'
      io.err(`zonegate zone: ${e.code}: ${e.message}\n`)
      return input ? 2 : 1
    }
    throw e
  }
}

async function run (args: string[], io: ZoneCommandIo): Promise<number> {
  const [sub, ...rest] = args
  if (sub === undefined) { io.err(ZONE_USAGE); return 2 }
  if (sub === '-h' || sub === '--help' || sub === 'help') { io.out(ZONE_USAGE); return 0 }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new CLI_ERR_USAGE(`unknown zone command '${sub}' (see "zonegate zone --help")`)
  const values = parse(sub, rest)
  if (values.help === true) { io.out(ZONE_USAGE); return 0 }
  const name = sub as Subcommand
  if ((name === 'add-device' || name === 'remove-device') && values.sysconfig !== undefined) return await enrolled(name, values, io)
  const client = await clientFrom(name, values)
  try {
    switch (name) {
      case 'register': return await register(client, values, io)
      case 'add-device': return await changeDevices(client, values, io, 'add')
      case 'remove-device': return await changeDevices(client, values, io, 'remove')
      case 'show': return await show(client, values, io)
      case 'bind-domain': return await bindDomain(client, values, io)
      case 'verify-domain': return await verifyDomain(client, values, io)
    }
  } finally {
    client.close()
  }
}

function parse (sub: string, args: string[]): Values {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values as Values
  } catch (e) {
    // node:util's messages run to several sentences; the first one says what was wrong.
    const first = String((e as Error).message).split(/\. /)[0].replace(/\.$/, '')
    throw new CLI_ERR_USAGE(`${sub}: ${first[0].toLowerCase()}${first.slice(1)} (see "zonegate zone --help")`)
  }
}

function required (sub: Subcommand, values: Values, key: string, what: string): string {
  const v = values[key]
  if (typeof v !== 'string' || v === '') throw new CLI_ERR_USAGE(`${sub} needs --${key} ${what} (see "zonegate zone --help")`)
  return v
}

async function clientFrom (sub: Subcommand, values: Values): Promise<SnClient> {
  const url = required(sub, values, 'sn', 'URL')
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new CLI_ERR_USAGE(`--sn must be a URL such as https://sn.example.net, got '${url}'`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new CLI_ERR_USAGE(`--sn must be an https:// URL, got '${url}'`)
  const audience = typeof values.audience === 'string' ? values.audience : parsed.hostname
  let ca: string | undefined
  if (typeof values.ca === 'string') {
    try {
      ca = await readFile(values.ca, 'utf8')
    } catch (e) {
      throw new CLI_ERR_USAGE(`cannot read --ca ${values.ca}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
    }
  }
  let connectTo: { host: string, port: number } | undefined
  if (typeof values['connect-to'] === 'string') {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(values['connect-to'])
    if (m === null || Number(m[2]) > 65535) throw new CLI_ERR_USAGE(`--connect-to must be HOST:PORT, got '${values['connect-to']}'`)
    connectTo = { host: m[1], port: Number(m[2]) }
  }
  return createSnClient({ url, audience, ca, connectTo, timeoutMs: timeoutOf(values) })
}

function timeoutOf (values: Values): number {
  if (typeof values.timeout !== 'string') return DEFAULT_TIMEOUT_MS
  const ms = Number(values.timeout)
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new CLI_ERR_USAGE(`--timeout must be a positive number of milliseconds, got '${values.timeout}'`)
  return ms
}

async function owner (sub: Subcommand, values: Values): Promise<DeviceKey> {
  return await loadDeviceKey(required(sub, values, 'owner', 'FILE'))
}

function zoneOf (sub: Subcommand, values: Values): string {
  const zone = required(sub, values, 'zone', 'ZONE').toLowerCase().replace(/\.$/, '')
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(zone)) throw new CLI_ERR_USAGE(`--zone must be a zone name such as alice.sn.example.net, got '${zone}'`)
  return zone
}

async function register (client: SnClient, values: Values, io: ZoneCommandIo): Promise<number> {
  const invite = required('register', values, 'invite', 'CODE')
  const label = required('register', values, 'name', 'LABEL')
  const audience = typeof values.audience === 'string' ? values.audience : new URL(client.url).hostname
  let zone: string
  try {
    zone = zoneName(label, audience)
  } catch (e) {
    throw new CLI_ERR_USAGE(`--name: ${(e as Error).message}`)
  }
  const key = await owner('register', values)
  const answer = await client.registerZone(key, invite, zone)
  io.out(`${printable(answer.zone)}\n`)
  return 0
}

/** --device and --name as add-device (both) and remove-device (either) take them. */
function deviceArgs (sub: 'add-device' | 'remove-device', values: Values): { did?: string, name?: string } {
  const did = values.device
  const name = values.name
  if (did !== undefined && (typeof did !== 'string' || !isDid(did))) throw new CLI_ERR_USAGE(`--device must be a did:dev:… device id (see "zonegate keygen"), got '${String(did)}'`)
  if (sub === 'add-device') {
    return { did: required(sub, values, 'device', 'DID'), name: required(sub, values, 'name', 'NAME') }
  }
  if (did === undefined && (typeof name !== 'string' || name === '')) {
    throw new CLI_ERR_USAGE('remove-device needs --device DID or --name NAME (see "zonegate zone --help")')
  }
  return { ...(did !== undefined ? { did } : {}), ...(typeof name === 'string' && name !== '' ? { name } : {}) }
}

async function changeDevices (client: SnClient, values: Values, io: ZoneCommandIo, change: 'add' | 'remove'): Promise<number> {
  const sub = change === 'add' ? 'add-device' : 'remove-device'
  const zone = zoneOf(sub, values)
  const { did, name } = deviceArgs(sub, values)
  const key = await owner(sub, values)
  const current = await client.getZone(zone)
  let devices: ZoneDevice[]
  if (change === 'add') {
    // One entry per device and per name: the new entry replaces any that shares either.
    devices = [...current.devices.filter(d => d.did !== did && d.name !== name), { name: name as string, did: did as string }]
  } else {
    devices = current.devices.filter(d => did !== undefined ? d.did !== did : d.name !== name)
    if (devices.length === current.devices.length) throw new ZONE_ERR_DEVICE_NOT_LISTED(zone, String(did ?? name))
  }
  // The SN keeps the highest version it accepted. The public answer may not carry it, so the
  // clock serves as a version that grows across owners' machines; +1 wins if the clock lags.
  const version = Math.max((current.version ?? 0) + 1, Date.now())
  const answer = await client.putDevices(key, zone, version, devices)
  // Show the zone as it is now (a first device may have made it active); the change itself is
  // done, so a failing read only falls back to what the PUT answered.
  const after = await client.getZone(zone).catch(() => ({ ...current, devices: answer.devices }))
  io.out(formatZone({ ...after, version: answer.version }))
  return 0
}

/** add-device / remove-device against the zone's system-config (--sysconfig URL). */
async function enrolled (sub: 'add-device' | 'remove-device', values: Values, io: ZoneCommandIo): Promise<number> {
  const url = required(sub, values, 'sysconfig', 'URL')
  if (values.sn !== undefined) throw new CLI_ERR_USAGE(`${sub}: give --sn or --sysconfig, not both (see "zonegate zone --help")`)
  const { did, name } = deviceArgs(sub, values)
  const target = { url, zone: zoneOf(sub, values), owner: await owner(sub, values), timeoutMs: timeoutOf(values) }
  io.out(sub === 'add-device'
    ? await enrollDevice(target, { name: name as string, did: did as string })
    : await unenrollDevice(target, { ...(name !== undefined ? { name } : {}), ...(did !== undefined ? { did } : {}) }))
  return 0
}

async function show (client: SnClient, values: Values, io: ZoneCommandIo): Promise<number> {
  const facts = await client.getZone(zoneOf('show', values))
  io.out(values.json === true ? JSON.stringify(facts, null, 2) + '\n' : formatZone(facts))
  return 0
}

/** What bind-domain and verify-domain both take: the zone, the domain and the owner's key. */
async function domainArgs (sub: 'bind-domain' | 'verify-domain', values: Values): Promise<{ zone: string, domain: string, key: DeviceKey }> {
  const zone = zoneOf(sub, values)
  const domain = required(sub, values, 'domain', 'DOMAIN').toLowerCase()
  return { zone, domain, key: await owner(sub, values) }
}

async function bindDomain (client: SnClient, values: Values, io: ZoneCommandIo): Promise<number> {
  const { zone, domain, key } = await domainArgs('bind-domain', values)
  const challenge = await client.bindDomain(key, zone, domain)
  io.out(`publish this TXT record, then run "zonegate zone verify-domain":\n  ${printable(challenge.txtName)} TXT "${printable(challenge.txtValue)}"\n`)
  return 0
}

async function verifyDomain (client: SnClient, values: Values, io: ZoneCommandIo): Promise<number> {
  const { zone, domain, key } = await domainArgs('verify-domain', values)
  const result = await client.verifyDomain(key, zone, domain)
  if (result.bound) {
    io.out(`${domain} is bound to ${zone}\n`)
    return 0
  }
  io.err(`zonegate zone: ${domain} is not verified yet${result.message ? `: ${result.message}` : ''}\n`)
  return 1
}

/** SN text goes to a terminal: every field is passed through printable(). */
function formatZone (facts: ZoneFacts): string {
  const lines = [`zone ${printable(facts.zone)} (${facts.active ? 'active' : 'inactive'})${facts.version !== undefined ? ` version ${facts.version}` : ''}`]
  lines.push(facts.devices.length === 0 ? 'devices: none' : 'devices:')
  const width = Math.max(0, ...facts.devices.map(d => printable(d.name).length))
  for (const d of facts.devices) lines.push(`  ${printable(d.name).padEnd(width)}  ${printable(d.did)}`)
  if (facts.domains.length > 0) lines.push(`domains: ${facts.domains.map(printable).join(', ')}`)
  return lines.join('\n') + '\n'
}
