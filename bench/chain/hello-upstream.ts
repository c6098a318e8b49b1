// node bench/chain/hello-upstream.ts PORT — the far end of the SNI passthrough paths.
// A client opens with a real TLS ClientHello (so every router sees and routes a genuine one), then
// one mode byte: 'B' — this server sends bulk bytes until the client goes away (throughput);
// 'E' — it echoes everything that follows (round trip). After the ClientHello the routers only
// copy opaque bytes, so no TLS crypto at the ends caps the figure: what is measured is the router.
import net from 'node:net'

const port = Number(process.argv[2])
const CHUNK = Buffer.alloc(256 * 1024, 0x5a)

function bulk (s: net.Socket): void {
  // Keep the socket's buffer full without queueing unboundedly: write until it says stop.
  const pump = (): void => { while (!s.destroyed && s.write(CHUNK)) { /* fill */ } }
  s.on('drain', pump)
  pump()
}

net.createServer(s => {
  s.setNoDelay(true)
  s.on('error', () => s.destroy())
  let buf: Buffer = Buffer.alloc(0)
  const onData = (d: Buffer): void => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d])
    if (buf.length < 5) return
    const need = 5 + buf.readUInt16BE(3) + 1
    if (buf[0] !== 22 || buf.length > 20_000) { s.destroy(); return }
    if (buf.length < need) return
    s.off('data', onData)
    const mode = buf[need - 1]
    const rest = buf.subarray(need)
    if (mode === 0x42) { s.resume(); s.on('data', () => {}); bulk(s); return }
    if (rest.length > 0) s.write(rest)
    s.pipe(s)
  }
  s.on('data', onData)
}).listen(port, '127.0.0.1', () => { process.stdout.write('ready\n') })
