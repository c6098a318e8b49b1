// `zonegate route` (the dry run) and `zonegate validate` warnings, as a user runs them.
import t from 'tap'
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const NODE = join(ROOT, 'node_modules', '.bin', 'node')
const ARGS = ['--disable-warning=ExperimentalWarning', join(ROOT, 'src', 'bin', 'zonegate.ts')]
const EDGE = join(ROOT, 'configs', 'gateway-edge.yaml')

function zonegate (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return new Promise(resolve => {
    execFile(NODE, [...ARGS, ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err == null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr })
    })
  })
}

t.test('route --url follows tls_terminate into the HTTP chain and says why', async t => {
  const r = await zonegate('route', '-c', EDGE, '--url', 'https://app.example.test/api/users')
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^stack public_tls \(127\.0\.0\.1:8443\) → chain ingress\n/)
  t.match(r.stdout, /chain ingress:\n {2}route nas: .*nas\.example\.test.*\n/)
  t.match(r.stdout, /chain zone_http:\n/)
  t.match(r.stdout, /result: route api of chain zone_http \(.*gateway-edge\.yaml:\d+\): http_proxy to rtcp:\/\/home\/:3000, tcp:\/\/127\.0\.0\.1:3000 \(least_time\)\n$/)
})

t.test('route --sni, --stack, --source; no match exits 1', async t => {
  const nas = await zonegate('route', '-c', EDGE, '--sni', 'NAS.example.test')
  t.match(nas.stdout, /result: route nas of chain ingress .*: forward to rtcp:\/\/home\/:443/)
  const admin = await zonegate('route', '-c', EDGE, '--url', 'https://www.example.test/admin', '--source', '192.168.1.9')
  t.match(admin.stdout, /result: route admin of chain zone_http/)
  const http = await zonegate('route', '-c', EDGE, '--stack', 'public_http', '--url', 'http://x.example.test/')
  t.match(http.stdout, /result: route to_https of chain plain_http .*: redirect 308 to https:\/\/\{host\}\{uri\}/)
  const dir = t.testdir()
  const file = join(dir, 'gw.yaml')
  await writeFile(file, `device: { key: k.pem }\nstacks: [{ id: s, listen: "127.0.0.1:0", chain: c }]\nchains:\n  c:\n    routes:\n      - { match: { sni: a.test }, process: { drop: true } }\n`)
  const none = await zonegate('route', '-c', file, '--sni', 'b.test')
  t.equal(none.code, 1)
  t.match(none.stdout, /result: no route matches; the connection would be closed/)
  const usage = await zonegate('route', '-c', file)
  t.equal(usage.code, 2)
  t.match(usage.stderr, /route needs --sni NAME or --url URL/)
})

t.test('validate warns about a shadowed route and still passes', async t => {
  const dir = t.testdir()
  const file = join(dir, 'gw.yaml')
  await writeFile(file, `role: gateway
device: { key: k.pem }
stacks: [{ id: s, listen: "127.0.0.1:0", chain: c }]
chains:
  c:
    probe: [tls]
    routes:
      - { id: wild, match: { sni: "*.example.test" }, process: { drop: true } }
      - { id: www, match: { sni: www.example.test }, process: { reject: true } }
`)
  const r = await zonegate('validate', '-c', file)
  t.equal(r.code, 0)
  t.match(r.stdout, /gw\.yaml: ok/)
  t.match(r.stderr, /gw\.yaml:9:\d+ warning: chains\.c: route "www" .*"wild"/)
})
