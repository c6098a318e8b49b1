// Builders for ConnFacts in the match and table tests.
import type { ConnFacts, HttpRequestFacts } from '../../../../src/chain/types.ts'

export function conn (over: Partial<ConnFacts> = {}): ConnFacts {
  return { stack: 'web', localPort: 443, source: { address: '127.0.0.1', port: 40000 }, ...over }
}

export function req (over: Partial<HttpRequestFacts> = {}): HttpRequestFacts {
  const path = over.path ?? '/'
  return { method: 'GET', target: path, path, query: '', version: 11, headers: [], ...over }
}

export function tls (sni?: string, alpn: string[] = []): ConnFacts['tls'] {
  return { ...(sni !== undefined ? { sni } : {}), alpn }
}
