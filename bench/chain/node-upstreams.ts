// node bench/chain/node-upstreams.ts HTTP_PORT TLS_PORT CERT KEY — stand-ins for the nginx
// upstreams when nginx is not installed: an HTTP server answering 1 KiB, and a TLS server that
// completes handshakes and answers "ok". Slower than nginx, so figures taken with them say so.
import http from 'node:http'
import tls from 'node:tls'
import { readFileSync } from 'node:fs'

const [httpPort, tlsPort] = process.argv.slice(2, 4).map(Number)
const [certFile, keyFile] = process.argv.slice(4, 6)
const BODY = Buffer.alloc(1024, 0x61)

let up = 0
const ready = (): void => { if (++up === 2) process.stdout.write('ready\n') }
http.createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  req.resume()
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BODY.length })
  res.end(BODY)
}).listen(httpPort, '127.0.0.1', ready)
tls.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, s => {
  s.on('error', () => s.destroy())
  s.end('ok\n')
}).listen(tlsPort, '127.0.0.1', ready)
