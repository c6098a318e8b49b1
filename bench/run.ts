// npm run bench: run every benchmark, one after another, and keep their JSON lines in
// bench/results/<date>.jsonl (git-ignored) as well as on stdout.
import { spawn } from 'node:child_process'
import { mkdirSync, createWriteStream } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const benches = ['rtcp.ts', 'chain.ts', 'socks.ts', 'dns.ts', 'acme.ts', 'sysconfig.ts', 'service.ts']
mkdirSync(join(here, 'results'), { recursive: true })
const file = join(here, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`)
const out = createWriteStream(file)
for (const b of benches) {
  await new Promise<void>((resolve, reject) => {
    const c = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(here, b), ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] })
    c.stdout.on('data', (d: Buffer) => { process.stdout.write(d); out.write(d) })
    c.on('exit', code => code === 0 ? resolve() : reject(new Error(`${b} exited with ${code}`)))
  })
}
out.end()
process.stderr.write(`# results: ${file}\n`)
