// URL grammar: scheme://[params@]remote[:port]/target
//   /:8080        a port on the peer's default host
//   /host:port    a host and port reached from the peer ([v6]:port for IPv6)
//   /name         a named listener on the peer
//   /<url> or /percent-encoded-url   a nested URL the next hop opens
import type { TunnelTarget } from './types.ts'
import { TUN_ERR_INVALID_URL } from './errors.ts'

export function parseTunnelUrl (input: string | URL): URL {
  if (input instanceof URL) return input
  try {
    return new URL(input)
  } catch (err) {
    throw new TUN_ERR_INVALID_URL(input, 'not a URL', { cause: err })
  }
}

function parsePort (text: string, url: URL): number {
  if (!/^\d{1,5}$/.test(text)) throw new TUN_ERR_INVALID_URL(url.href, `bad port "${text}"`)
  const port = Number(text)
  if (port < 1 || port > 65535) throw new TUN_ERR_INVALID_URL(url.href, `port ${port} out of range`)
  return port
}

/** Decode the path of a tunnel URL into what the far side should reach. */
export function targetOf (url: URL): TunnelTarget {
  let path = url.pathname
  if (path === '' || path === '/') return { kind: 'none' }
  path = path.slice(1)
  let text: string
  try {
    text = decodeURIComponent(path)
  } catch (err) {
    throw new TUN_ERR_INVALID_URL(url.href, 'bad percent-encoding in target', { cause: err })
  }
  if (text.startsWith('<') && text.endsWith('>')) text = text.slice(1, -1)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      return { kind: 'url', url: new URL(text) }
    } catch (err) {
      throw new TUN_ERR_INVALID_URL(url.href, 'bad nested URL', { cause: err })
    }
  }
  if (text.startsWith(':')) return { kind: 'port', port: parsePort(text.slice(1), url) }
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text)
  if (v6 != null) return { kind: 'host', host: v6[1], port: parsePort(v6[2], url) }
  const colon = text.lastIndexOf(':')
  if (colon > 0) {
    const host = text.slice(0, colon)
    if (!/^[A-Za-z0-9.-]+$/.test(host)) throw new TUN_ERR_INVALID_URL(url.href, `bad host "${host}"`)
    return { kind: 'host', host, port: parsePort(text.slice(colon + 1), url) }
  }
  if (/^[A-Za-z0-9_.-]+$/.test(text)) return { kind: 'name', name: text }
  throw new TUN_ERR_INVALID_URL(url.href, `bad target "${text}"`)
}

/** Spell a target back as the path of a tunnel URL (nested URLs percent-encoded). */
export function formatTarget (target: TunnelTarget): string {
  switch (target.kind) {
    case 'none': return ''
    case 'port': return `/:${target.port}`
    case 'host': return target.host.includes(':') ? `/[${target.host}]:${target.port}` : `/${target.host}:${target.port}`
    case 'name': return `/${target.name}`
    case 'url': return '/' + encodeURIComponent(target.url.href)
  }
}

/** The host of a URL without IPv6 brackets. */
export function hostOf (url: URL): string {
  const h = url.hostname
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h
}

/** Parse a bare target as carried in an rtcp header (":8080", "host:port", "name", a URL). */
export function parseTarget (text: string): TunnelTarget {
  if (text === '') return { kind: 'none' }
  return targetOf(new URL('target://t/' + (text.includes('://') ? encodeURIComponent(text) : text)))
}

/** The target of a tunnel URL as the text an rtcp header carries. */
export function targetText (url: URL): string {
  const t = targetOf(url)
  switch (t.kind) {
    case 'none': return ''
    case 'port': return `:${t.port}`
    case 'host': return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`
    case 'name': return t.name
    case 'url': return t.url.href
  }
}
