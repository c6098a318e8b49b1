// node bench/chain/http-proxy.ts PLAIN_PORT TLS_PORT UPSTREAM_PORT CERT KEY HOST
// The baseline for HTTP routing by Host: a minimal node:http reverse proxy (and the same behind
// node:https, terminating TLS), keep-alive to the upstream, 404 for any other Host. This is what
// the spec's "≥ 2 × a minimal node:http proxy" is measured against.
import http from 'node:http'
import https from 'node:https'
import { readFileSync } from 'node:fs'

const [plainPort, tlsPort, upstreamPort] = process.argv.slice(2, 5).map(Number)
const [certFile, keyFile, host] = process.argv.slice(5, 8)
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })

function handler (req: http.IncomingMessage, res: http.ServerResponse): void {
  if ((req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase() !== host) { res.writeHead(404).end(); return }
  const pr = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent }, r => {
    res.writeHead(r.statusCode ?? 502, r.headers)
    r.pipe(res)
  })
  pr.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end() })
  req.pipe(pr)
}

let up = 0
const ready = (): void => { if (++up === 2) process.stdout.write('ready\n') }
http.createServer({ keepAliveTimeout: 120_000 }, handler).listen(plainPort, '127.0.0.1', ready)
https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), keepAliveTimeout: 120_000 }, handler).listen(tlsPort, '127.0.0.1', ready)
