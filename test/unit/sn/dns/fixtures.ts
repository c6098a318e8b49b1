// A small in-memory DnsAuthority (a Map) and a server on loopback port 0 answering from it, plus a
// raw UDP/TCP exchange for messages dig cannot send (two questions, other opcodes, random bytes).
import dgram from 'node:dgram'
import net from 'node:net'
import { once } from 'node:events'
import { Packet } from 'dns2'
import { silentLogger } from '../../../../src/core/logger.ts'
import { startDnsServer, type DnsServer, type DnsServerInit } from '../../../../src/sn/dns/server.ts'
import type { DnsAuthority, DnsRecord } from '../../../../src/sn/dns/types.ts'

export interface TestLike { teardown (fn: () => unknown): void }

const soa = (serial: number): DnsRecord => ({ type: 'SOA', primary: 'ns1.sn.test', admin: 'hostmaster.sn.test', serial, refresh: 3600, retry: 600, expiration: 86400, minimum: 60, ttl: 3600 })

export function zoneData (): Map<string, DnsRecord[]> {
  return new Map<string, DnsRecord[]>([
    ['sn.test', [soa(1), { type: 'NS', ns: 'ns1.sn.test', ttl: 3600 }, { type: 'NS', ns: 'ns2.sn.test', ttl: 3600 }]],
    ['ns1.sn.test', [{ type: 'A', address: '10.0.0.1', ttl: 300 }]],
    ['ns2.sn.test', [{ type: 'A', address: '10.0.0.2', ttl: 300 }]],
    ['alice.sn.test', [{ type: 'A', address: '192.0.2.1', ttl: 300 }, { type: 'AAAA', address: '2001:db8::1', ttl: 300 }, { type: 'TXT', data: ['hello'], ttl: 300 }]],
    ['www.alice.sn.test', [{ type: 'CNAME', domain: 'alice.sn.test', ttl: 300 }]],
    ['ext.alice.sn.test', [{ type: 'CNAME', domain: 'example.org', ttl: 300 }]],
    ['dangling.sn.test', [{ type: 'CNAME', domain: 'gone.sn.test', ttl: 300 }]],
    ['loop1.sn.test', [{ type: 'CNAME', domain: 'loop2.sn.test', ttl: 300 }]],
    ['loop2.sn.test', [{ type: 'CNAME', domain: 'loop1.sn.test', ttl: 300 }]],
    ['*.alice.sn.test', [{ type: 'A', address: '192.0.2.9', ttl: 120 }]],
    // ent.alice.sn.test is an empty non-terminal; it is also the closest encloser of its other children.
    ['a.ent.alice.sn.test', [{ type: 'A', address: '192.0.2.10', ttl: 300 }]],
    ['medium.sn.test', [{ type: 'TXT', data: ['m'.repeat(300), 'n'.repeat(300)], ttl: 300 }]],
    ['big.sn.test', Array.from({ length: 40 }, (_, i): DnsRecord => ({ type: 'TXT', data: [`${'x'.repeat(100)}-${i}`], ttl: 300 }))],
    ['bad.sn.test', [{ type: 'A', address: 'not-an-ip', ttl: 300 }]],
    // A second apex below the first: names under it take its SOA.
    ['zone2.sn.test', [soa(2), { type: 'NS', ns: 'ns1.sn.test', ttl: 3600 }]],
    ['www.zone2.sn.test', [{ type: 'A', address: '192.0.2.20', ttl: 300 }]]
  ])
}

export function memoryAuthority (data: Map<string, DnsRecord[]> = zoneData(), apexes: string[] = ['sn.test', 'zone2.sn.test']): DnsAuthority {
  return {
    apexes: () => apexes,
    records: (name) => data.get(name),
    hasDescendants: (name) => { for (const k of data.keys()) if (k.endsWith(`.${name}`)) return true; return false }
  }
}

export async function startServer (t: TestLike, init: Partial<DnsServerInit> = {}): Promise<DnsServer & { port: number, tcpPort: number }> {
  const server = await startDnsServer({ authority: memoryAuthority(), udp: ['127.0.0.1:0'], tcp: ['127.0.0.1:0'], logger: silentLogger(), ...init })
  t.teardown(async () => await server.close())
  const port = (s: string | undefined): number => s == null ? 0 : Number(s.slice(s.lastIndexOf(':') + 1))
  return { ...server, port: port(server.addresses.udp[0]), tcpPort: port(server.addresses.tcp[0]) }
}

/** A query built with dns2: one question by default, an OPT when `edns` is given. */
export function query (id: number, questions: Array<[string, number]>, options: { opcode?: number, edns?: { udpPayloadSize?: number, version?: number } } = {}): Buffer {
  const p = new Packet()
  p.header = new Packet.Header({ id, opcode: options.opcode ?? 0 })
  p.questions = questions.map(([n, type]) => new Packet.Question(n, type, Packet.CLASS.IN))
  if (options.edns != null) p.additionals = [Packet.Resource.EDNS([], options.edns)]
  return p.toBuffer()
}

/** A UDP socket on loopback that collects every datagram it receives. */
export async function udpClient (t: TestLike): Promise<{ send (buf: Buffer, port: number): void, next (timeoutMs?: number): Promise<Buffer>, pending (): number }> {
  const s = dgram.createSocket('udp4')
  const inbox: Buffer[] = []
  const waiters: Array<(b: Buffer) => void> = []
  s.on('message', (m) => { const w = waiters.shift(); if (w != null) w(m); else inbox.push(m) })
  s.bind(0, '127.0.0.1')
  await once(s, 'listening')
  t.teardown(() => s.close())
  return {
    send: (buf, port) => s.send(buf, port, '127.0.0.1'),
    pending: () => inbox.length,
    next: async (timeoutMs = 3000) => {
      const b = inbox.shift()
      if (b != null) return b
      return await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => { waiters.splice(waiters.indexOf(done), 1); reject(new Error(`no datagram within ${timeoutMs} ms`)) }, timeoutMs)
        const done = (m: Buffer): void => { clearTimeout(timer); resolve(m) }
        waiters.push(done)
      })
    }
  }
}

/** Connect to the TCP listener; `frames()` yields each reply (length prefix removed). */
export async function tcpClient (t: TestLike, port: number): Promise<{ socket: net.Socket, send (msg: Buffer): void, next (timeoutMs?: number): Promise<Buffer> }> {
  const socket = net.connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await once(socket, 'connect')
  t.teardown(() => socket.destroy())
  let buf = Buffer.alloc(0)
  const frames: Buffer[] = []
  const waiters: Array<(b: Buffer) => void> = []
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d])
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const f = buf.subarray(2, 2 + buf.readUInt16BE(0))
      buf = buf.subarray(2 + f.length)
      const w = waiters.shift()
      if (w != null) w(f); else frames.push(f)
    }
  })
  return {
    socket,
    send: (msg) => { const p = Buffer.alloc(2); p.writeUInt16BE(msg.length); socket.write(Buffer.concat([p, msg])) },
    next: async (timeoutMs = 3000) => {
      const f = frames.shift()
      if (f != null) return f
      return await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no frame within ${timeoutMs} ms`)), timeoutMs)
        waiters.push((m) => { clearTimeout(timer); resolve(m) })
      })
    }
  }
}

/** Resolve when `cond()` holds, polling each event-loop turn; fail after `ms`. */
export async function until (cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
