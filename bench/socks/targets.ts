// node bench/socks/targets.ts BULK_PORT ONE_PORT BYTES — the far ends of the SOCKS benchmark, in
// their own process so their CPU is not the load generator's:
//   BULK_PORT  sends BYTES bytes to each connection, then ends it (the 1 GiB transfer)
//   ONE_PORT   sends one byte and closes (the CONNECTs-per-second sessions)
import net from 'node:net'

const [bulkPort, onePort, total] = process.argv.slice(2).map(Number)
const CHUNK = Buffer.alloc(256 * 1024, 0x5a)
const ONE = Buffer.from('1')

function bulk (s: net.Socket): void {
  let left = total
  // Keep the socket's buffer full without queueing unboundedly: write until it says stop.
  const pump = (): void => {
    while (!s.destroyed && left > 0) {
      const n = Math.min(left, CHUNK.length)
      left -= n
      if (left === 0) { s.end(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n)); return }
      if (!s.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return
    }
  }
  s.on('drain', pump)
  pump()
}

let up = 0
const ready = (): void => { if (++up === 2) process.stdout.write('ready\n') }
net.createServer(s => {
  s.setNoDelay(true)
  s.on('error', () => s.destroy())
  s.resume()
  bulk(s)
}).listen(bulkPort, '127.0.0.1', ready)
net.createServer(s => {
  s.on('error', () => s.destroy())
  s.end(ONE)
}).listen(onePort, '127.0.0.1', ready)
