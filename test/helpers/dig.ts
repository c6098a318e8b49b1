// Run the real `dig` (Debian dnsutils) against a loopback server, asynchronously, and parse its
// output: status, flags, the EDNS pseudo-section and the record sections.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const pexec = promisify(execFile)

export interface DigRecord { name: string, ttl: number, class: string, type: string, data: string }

export interface DigResult {
  /** NOERROR, NXDOMAIN, REFUSED, FORMERR, NOTIMP, BADVERS, ... */
  status: string
  opcode: string
  id: number
  /** Header flags: qr, aa, tc, rd, ra. */
  flags: string[]
  /** The question as echoed by the server: "name. class type". */
  question: string[]
  answer: DigRecord[]
  authority: DigRecord[]
  additional: DigRecord[]
  /** The OPT pseudo-section, when the reply had one. */
  edns?: { version: number, udp: number, flags: string }
  /** dig printed "Truncated, retrying in TCP mode." */
  retriedOverTcp: boolean
  /** Transport of the reply dig printed (after any retry). */
  transport?: string
  /** Reply size, from ";; MSG SIZE  rcvd: N". */
  size?: number
  raw: string
}

export interface DigOptions {
  tcp?: boolean
  /** Further dig options, e.g. '+noedns', '+bufsize=4096', '+ignore'. */
  extra?: string[]
  host?: string
}

function parseRecord (line: string): DigRecord {
  const [name, ttl, cls, type, ...rest] = line.split(/\s+/)
  return { name, ttl: Number(ttl), class: cls, type, data: rest.join(' ') }
}

export function parseDig (out: string): DigResult {
  const r: DigResult = { status: '', opcode: '', id: 0, flags: [], question: [], answer: [], authority: [], additional: [], retriedOverTcp: false, raw: out }
  let section: 'question' | 'answer' | 'authority' | 'additional' | undefined
  for (const line of out.split('\n')) {
    let m: RegExpExecArray | null
    if ((m = /->>HEADER<<- opcode: (\w+), status: (\w+), id: (\d+)/.exec(line)) != null) {
      r.opcode = m[1]; r.status = m[2]; r.id = Number(m[3])
    } else if ((m = /^;; flags:([^;]*);/.exec(line)) != null) {
      r.flags = m[1].trim().split(/\s+/).filter(Boolean)
    } else if ((m = /^; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)/.exec(line)) != null) {
      r.edns = { version: Number(m[1]), flags: m[2].trim(), udp: Number(m[3]) }
    } else if (line.startsWith(';; Truncated, retrying in TCP mode')) {
      r.retriedOverTcp = true
    } else if ((m = /^;; SERVER: .*\((\w+)\)\s*$/.exec(line)) != null) {
      r.transport = m[1]
    } else if ((m = /^;; MSG SIZE\s+rcvd: (\d+)/.exec(line)) != null) {
      r.size = Number(m[1])
    } else if ((m = /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line)) != null) {
      section = m[1].toLowerCase() as typeof section
    } else if (line.trim() === '') {
      section = undefined
    } else if (section === 'question' && line.startsWith(';')) {
      r.question.push(line.slice(1).trim().split(/\s+/).join(' '))
    } else if (section != null && section !== 'question' && !line.startsWith(';')) {
      r[section].push(parseRecord(line.trim()))
    }
  }
  return r
}

/** `dig @host -p port name type +norecurse` (+tcp), one try, 2 s timeout; the parsed reply. */
export async function dig (port: number, name: string, type: string, options: DigOptions = {}): Promise<DigResult> {
  const args = [`@${options.host ?? '127.0.0.1'}`, '-p', String(port), name, type, '+norecurse', '+tries=1', '+time=2']
  if (options.tcp === true) args.push('+tcp')
  args.push(...(options.extra ?? []))
  const { stdout } = await pexec('dig', args, { timeout: 10_000 })
  const r = parseDig(stdout)
  if (r.status === '') throw new Error(`dig ${args.join(' ')}: no reply parsed from:\n${stdout}`)
  return r
}
