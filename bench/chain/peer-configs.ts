// Configurations of the real peers the chain benchmark measures zonegate against, after
// ../shared/peer-bench (02-tcp-forward.sh, 03-http-host.sh, 04-tls-sni.sh): one worker or thread
// each, access logs off, keep-alive everywhere it applies.
export const NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so'

const nginxHead = (dir: string, name: string): string => `worker_processes 1;
daemon off;
error_log ${dir}/${name}.err warn;
pid ${dir}/${name}.pid;
events { worker_connections 9000; }
`

/** The upstreams: 1 KiB over HTTP, and a TLS server (full handshakes only) that answers "ok". */
export function nginxBackend (dir: string, p: { http: number, tls: number }, cert: string, key: string): string {
  return nginxHead(dir, 'nginx-backend') + `http {
  access_log off; sendfile on; tcp_nopush on; default_type application/octet-stream;
  keepalive_requests 1000000; keepalive_timeout 120s;
  server { listen 127.0.0.1:${p.http}; root ${dir}/www; }
  server { listen 127.0.0.1:${p.tls} ssl; ssl_certificate ${cert}; ssl_certificate_key ${key};
    ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets off; ssl_session_cache off;
    location / { return 200 "ok\\n"; } }
}
`
}

export interface SniRoutes { bulk: string, bulkPort: number, hs: string, hsPort: number }

/** nginx stream + ssl_preread: route by SNI without terminating. */
export function nginxSni (dir: string, port: number, r: SniRoutes): string {
  return `load_module ${NGINX_STREAM_MODULE};\n` + nginxHead(dir, 'nginx-sni') + `stream {
  map $ssl_preread_server_name $up { ${r.bulk} 127.0.0.1:${r.bulkPort}; ${r.hs} 127.0.0.1:${r.hsPort}; default 127.0.0.1:9; }
  server { listen 127.0.0.1:${port}; ssl_preread on; proxy_pass $up; }
}
`
}

/** haproxy mode tcp + req.ssl_sni. */
export function haproxySni (port: number, r: SniRoutes): string {
  return `global
  nbthread 1
  maxconn 9900
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend sni
  bind 127.0.0.1:${port}
  tcp-request inspect-delay 5s
  tcp-request content accept if { req.ssl_hello_type 1 }
  use_backend bulk if { req.ssl_sni -i ${r.bulk} }
  use_backend hs if { req.ssl_sni -i ${r.hs} }
backend bulk
  server s1 127.0.0.1:${r.bulkPort}
backend hs
  server s1 127.0.0.1:${r.hsPort}
`
}

/** nginx as the HTTP router by Host, plain and terminating TLS, keep-alive to the upstream. */
export function nginxHttp (dir: string, p: { plain: number, tls: number, upstream: number }, host: string, cert: string, key: string): string {
  const loc = `location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header Host $host; proxy_buffers 16 64k; proxy_busy_buffers_size 128k; proxy_max_temp_file_size 0; }`
  return nginxHead(dir, 'nginx-http') + `http {
  access_log off; keepalive_requests 1000000; keepalive_timeout 120s;
  upstream up { server 127.0.0.1:${p.upstream}; keepalive 64; keepalive_requests 1000000; }
  server { listen 127.0.0.1:${p.plain} default_server; listen 127.0.0.1:${p.tls} ssl default_server;
    ssl_certificate ${cert}; ssl_certificate_key ${key}; return 404; }
  server { listen 127.0.0.1:${p.plain}; listen 127.0.0.1:${p.tls} ssl; server_name ${host};
    ssl_certificate ${cert}; ssl_certificate_key ${key};
    ${loc} }
}
`
}

export interface ZonegatePorts { sni: number, web: number, http: number }

/** zonegate: the same three jobs as chains (SNI passthrough, TLS termination + Host routing, plain Host routing). */
export function zonegateConfig (key: string, p: ZonegatePorts, r: SniRoutes, tlsNames: string[], host: string, httpUpstream: number, cert: string, certKey: string): unknown {
  return {
    role: 'gateway',
    device: { key },
    log: { level: 'info' }, // the 'listening' lines are info; access_log off keeps the load from logging
    access_log: false, // the peers run with access logs off too
    stacks: [
      { id: 'sni', listen: `127.0.0.1:${p.sni}`, chain: 'sni' },
      { id: 'web', listen: `127.0.0.1:${p.web}`, chain: 'tls_in' },
      { id: 'http', listen: `127.0.0.1:${p.http}`, chain: 'http_routes' }
    ],
    chains: {
      sni: {
        probe: ['tls'],
        routes: [
          { match: { sni: [r.bulk] }, process: { forward: `tcp://127.0.0.1:${r.bulkPort}` } },
          { match: { sni: [r.hs] }, process: { forward: `tcp://127.0.0.1:${r.hsPort}` } },
          { process: { reject: true } }
        ]
      },
      tls_in: {
        probe: ['tls'],
        routes: [
          { match: { sni: tlsNames }, process: { tls_terminate: { certs: [{ cert, key: certKey }] }, then: 'http_routes' } }
        ]
      },
      http_routes: {
        probe: ['http'],
        routes: [
          { match: { host: [host] }, process: { http_proxy: { upstreams: [`tcp://127.0.0.1:${httpUpstream}`] } } },
          { process: { respond: { status: 404, body: 'no route\n' } } }
        ]
      }
    }
  }
}
