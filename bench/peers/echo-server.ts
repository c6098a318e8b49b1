// node bench/peers/echo-server.ts PORT — a TCP echo server for round-trip measurements.
import net from 'node:net'
const port = Number(process.argv[2])
net.createServer(s => { s.setNoDelay(true); s.on('error', () => {}); s.pipe(s) })
  .listen(port, '127.0.0.1', () => { process.stdout.write('ready\n') })
