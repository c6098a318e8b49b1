// A loopback port where a TCP connect hangs: a child process listens with a backlog of 1 and
// never accepts (its event loop is blocked), we fill its accept queue, and from then on the kernel
// drops further SYNs. This gives connect-timeout and abort-during-connect tests a connect that is
// really pending, without leaving loopback. The child is killed by PID in t.teardown().
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'

interface Teardown { teardown(fn: () => unknown): void }

const CHILD = `
const net = require('node:net')
const srv = net.createServer()
srv.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
  process.stdout.write(srv.address().port + '\\n', () => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000) // never accept
  })
})`

export async function blackholePort (t: Teardown): Promise<number> {
  const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'pipe', 'inherit'] })
  const fillers: net.Socket[] = []
  t.teardown(() => {
    for (const s of fillers) s.destroy()
    child.kill('SIGKILL')
  })
  const [line] = await once(createInterface({ input: child.stdout }), 'line') as [string]
  const port = Number(line)
  // Queue connections until one stays pending: then the accept queue is full.
  for (let i = 0; i < 8; i++) {
    const s = net.connect({ host: '127.0.0.1', port })
    s.on('error', () => {})
    fillers.push(s)
    const connected = await Promise.race([once(s, 'connect').then(() => true), sleep(300).then(() => false)])
    if (!connected) return port
  }
  throw new Error(`could not fill the accept queue of 127.0.0.1:${port}`)
}
