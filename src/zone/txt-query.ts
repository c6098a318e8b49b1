// Ask one DNS server (explicit host and port: never the system or public resolvers) for the TXT
// values at a name. dns2 encodes and decodes; over TCP we hold the socket ourselves so a server
// that never answers is cut off at the deadline instead of leaving a socket open.
import { connect, isIP } from 'node:net'
import { Packet, UDPClient, type Question } from 'dns2'
import { ZONE_ERR_DNS_QUERY } from './errors.ts'

export type DnsProtocol = 'udp' | 'tcp'
export interface DnsServerAddress { host: string, port: number }

const TXT = 16

export async function queryTxt (server: DnsServerAddress, name: string, options: { protocol?: DnsProtocol, timeoutMs: number }): Promise<string[]> {
  const where = `${server.host}:${server.port}`
  if (options.protocol === 'tcp') return await queryTcp(server, name, options.timeoutMs)
  let answer: Packet
  try {
    // dns2's UDP client checks the source and id, drops undecodable datagrams and retries over
    // TCP on truncation; only its timeout or a socket error ends up here.
    answer = await UDPClient({ dns: server.host, port: server.port, socketType: isIP(server.host) === 6 ? 'udp6' : 'udp4', timeout: options.timeoutMs })(name, 'TXT', undefined, { recursive: false })
  } catch (err) {
    throw new ZONE_ERR_DNS_QUERY(name, where, (err as Error).message, { cause: err })
  }
  return txtValues(answer, name)
}

/**
 * The TXT values at `name` in a DNS message (untrusted bytes). Throws only ZONE_ERR_DNS_QUERY:
 * for a message dns2 cannot decode, or one whose id is not `id` (when given).
 */
export function decodeTxtAnswer (bytes: Buffer, name: string, where: string, id?: number): string[] {
  let packet: Packet
  try {
    packet = Packet.parse(bytes)
  } catch (err) {
    throw new ZONE_ERR_DNS_QUERY(name, where, `undecodable answer: ${(err as Error).message}`, { cause: err })
  }
  if (id !== undefined && packet.header.id !== id) throw new ZONE_ERR_DNS_QUERY(name, where, `answer id ${packet.header.id} does not match query id ${id}`)
  return txtValues(packet, name)
}

function txtValues (packet: Packet, name: string): string[] {
  const wanted = name.toLowerCase().replace(/\.$/, '')
  const values: string[] = []
  for (const record of packet.answers) {
    if (record.type !== TXT || typeof record.name !== 'string' || record.name.toLowerCase().replace(/\.$/, '') !== wanted) continue
    const data = (record as { data?: unknown }).data
    // dns2 gives the character-strings of the RDATA; a long value may be split across several.
    if (Array.isArray(data)) values.push(data.join(''))
    else if (typeof data === 'string') values.push(data)
  }
  return values
}

function queryTcp (server: DnsServerAddress, name: string, timeoutMs: number): Promise<string[]> {
  const where = `${server.host}:${server.port}`
  const query = new Packet()
  query.header.id = Packet.uuid()
  query.questions.push({ name, type: TXT, class: Packet.CLASS.IN } as Question)
  const message = query.toBuffer()
  const framed = Buffer.alloc(2 + message.byteLength)
  framed.writeUInt16BE(message.byteLength, 0)
  message.copy(framed, 2)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port })
    const timer = setTimeout(() => fail(new ZONE_ERR_DNS_QUERY(name, where, `no answer over TCP within ${timeoutMs} ms (timed out)`)), timeoutMs)
    let done = false
    function fail (err: Error): void {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      reject(err)
    }
    socket.on('error', err => fail(new ZONE_ERR_DNS_QUERY(name, where, err.message, { cause: err })))
    socket.write(framed)
    // readStream stops at the 2-byte length prefix: at most 64 KiB is ever buffered.
    Packet.readStream(socket).then(bytes => {
      if (done) return
      const values = decodeTxtAnswer(bytes, name, where, query.header.id)
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve(values)
    }).catch((err: Error) => fail(hasZoneCode(err) ? err : new ZONE_ERR_DNS_QUERY(name, where, err.message, { cause: err })))
  })
}

function hasZoneCode (err: Error): boolean {
  return (err as { code?: unknown }).code === 'ZONE_ERR_DNS_QUERY'
}
