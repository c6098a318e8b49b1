// node bench/peers/tcp-fwd.ts LISTEN_PORT TARGET_PORT — the baseline: a minimal node:net forwarder
// (pipe both ways), what any Node gateway is measured against.
import net from 'node:net'
const [listen, target] = process.argv.slice(2).map(Number)
net.createServer(c => {
  const u = net.connect(target, '127.0.0.1')
  c.setNoDelay(true); u.setNoDelay(true)
  c.pipe(u); u.pipe(c)
  const kill = (): void => { c.destroy(); u.destroy() }
  c.on('error', kill); u.on('error', kill)
}).listen(listen, '127.0.0.1', () => { process.stdout.write('ready\n') })
