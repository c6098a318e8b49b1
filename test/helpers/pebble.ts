// Debian's pebble (a test ACME CA) and pebble-challtestsrv (a scriptable DNS server) on loopback
// for one test. Ports are picked by binding port 0 and closing, so another process can grab one
// before pebble binds it: a start that fails is retried on fresh ports. Processes are stopped
// by their own PID (child.kill), never by name.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request as httpsRequest } from 'node:https'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { closedPort } from './free-port.ts'
import { selfSigned } from './self-signed.ts'

export interface Pebble {
  directoryUrl: string
  /** PEM of the CA that signed pebble's own HTTPS certificate (not the ACME issuing root). */
  caPem: string
  /** The port pebble validates http-01 challenges on. */
  httpPort: number
  /** The ACME issuing root, from the management interface. */
  rootPem: () => Promise<string>
  stop: () => Promise<void>
}

export interface PebbleOptions {
  /** host:port of the DNS server pebble resolves names and TXT records through. */
  dnsServer: string
  /** The port pebble validates http-01 on (a server the test runs, such as an SN's port 80 stack); default: a free one. */
  httpPort?: number
  attempts?: number
}

export async function startPebble (options: PebbleOptions): Promise<Pebble> {
  const dir = await mkdtemp(join(tmpdir(), 'pebble-'))
  const tls = await selfSigned(dir, 'localhost')
  const caPem = tls.cert.toString()
  let lastError: unknown
  for (let attempt = 0; attempt < (options.attempts ?? 5); attempt++) {
    const [port, mgmt, freeHttp, tlsPort] = await Promise.all([closedPort(), closedPort(), closedPort(), closedPort()])
    const httpPort = options.httpPort ?? freeHttp
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: join(dir, 'cert.pem'),
        privateKey: join(dir, 'key.pem'),
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false
      }
    }
    const configFile = join(dir, 'pebble-config.json')
    await writeFile(configFile, JSON.stringify(config))
    const child = spawn('pebble', ['-config', configFile, '-dnsserver', options.dnsServer], {
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const output = collect(child)
    const directoryUrl = `https://127.0.0.1:${port}/dir`
    try {
      await waitReady(child, () => get(directoryUrl, caPem), output)
    } catch (err) {
      lastError = err
      await kill(child)
      continue
    }
    return {
      directoryUrl,
      caPem,
      httpPort,
      rootPem: async () => await get(`https://127.0.0.1:${mgmt}/roots/0`, caPem),
      stop: async () => {
        await kill(child)
        await rm(dir, { recursive: true, force: true })
      }
    }
  }
  await rm(dir, { recursive: true, force: true })
  throw new Error(`pebble did not start: ${String(lastError)}`)
}

export interface ChallTestSrv {
  /** host:port of its DNS server (UDP and TCP). */
  dnsServer: string
  dnsPort: number
  setTxt: (fqdn: string, value: string) => Promise<void>
  clearTxt: (fqdn: string) => Promise<void>
  stop: () => Promise<void>
}

/**
 * pebble-challtestsrv as a DNS server only: A queries answer 127.0.0.1 (AAAA disabled, so pebble
 * dials IPv4 for http-01), TXT records are set through its management API.
 */
export async function startChallTestSrv (attempts = 5): Promise<ChallTestSrv> {
  let lastError: unknown
  for (let attempt = 0; attempt < attempts; attempt++) {
    const [dnsPort, mgmt] = await Promise.all([closedPort(), closedPort()])
    const child = spawn('pebble-challtestsrv', [
      '-dns01', `127.0.0.1:${dnsPort}`, '-management', `127.0.0.1:${mgmt}`,
      '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    const output = collect(child)
    const post = async (path: string, body: unknown): Promise<void> => { await postJson(`http://127.0.0.1:${mgmt}${path}`, body) }
    try {
      // Ready when the management API answers; the DNS listener starts before it.
      await waitReady(child, async () => { await post('/clear-txt', { host: 'ready.invalid.' }) }, output)
    } catch (err) {
      lastError = err
      await kill(child)
      continue
    }
    return {
      dnsServer: `127.0.0.1:${dnsPort}`,
      dnsPort,
      setTxt: async (fqdn, value) => { await post('/set-txt', { host: dotted(fqdn), value }) },
      clearTxt: async (fqdn) => { await post('/clear-txt', { host: dotted(fqdn) }) },
      stop: async () => { await kill(child) }
    }
  }
  throw new Error(`pebble-challtestsrv did not start: ${String(lastError)}`)
}

function dotted (name: string): string {
  return name.endsWith('.') ? name : `${name}.`
}

function collect (child: ChildProcess): { text: string } {
  const out = { text: '' }
  const add = (chunk: Buffer): void => { if (out.text.length < 64 * 1024) out.text += chunk.toString() }
  child.stdout?.on('data', add)
  child.stderr?.on('data', add)
  return out
}

/** Polls `probe` until it succeeds; fails early when the process exits (a port was taken). */
async function waitReady (child: ChildProcess, probe: () => Promise<unknown>, output: { text: string }): Promise<void> {
  const deadline = Date.now() + 10_000
  let exited = false
  child.once('exit', () => { exited = true })
  for (;;) {
    if (exited) throw new Error(`exited during start: ${output.text}`)
    try {
      await probe()
      return
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`not ready after 10 s: ${String(err)}: ${output.text}`)
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

async function kill (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}

async function get (url: string, ca: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, method: 'GET' }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: HTTP ${res.statusCode}: ${text}`))
        else resolve(text)
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

async function postJson (url: string, body: unknown): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, res => {
      res.resume()
      res.on('end', () => { res.statusCode === 200 ? resolve() : reject(new Error(`POST ${url}: HTTP ${res.statusCode}`)) })
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

/** A dns-01 solver over pebble-challtestsrv; keeps several values per name (a.test and *.a.test). */
export function challDns01Solver (chall: ChallTestSrv, mangle: (value: string) => string = v => v): {
  publish: (fqdn: string, value: string) => Promise<void>
  remove: (fqdn: string, value: string) => Promise<void>
  published: string[]
} {
  const values = new Map<string, string[]>()
  const published: string[] = []
  return {
    published,
    async publish (fqdn, value) {
      published.push(fqdn)
      values.set(fqdn, [...(values.get(fqdn) ?? []), mangle(value)])
      await chall.setTxt(fqdn, mangle(value))
    },
    // challtestsrv can only clear a whole name: clear it and put back the values still wanted.
    async remove (fqdn, value) {
      const left = (values.get(fqdn) ?? []).filter(v => v !== mangle(value))
      values.set(fqdn, left)
      await chall.clearTxt(fqdn)
      for (const v of left) await chall.setTxt(fqdn, v)
    }
  }
}
