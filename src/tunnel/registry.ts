// The registry maps URL schemes to tunnel kinds. `bin` registers the kinds; everything else
// (chain, gateway stacks, rtcp's target resolution) reaches upstreams only by URL through here.
import type { Tunnel, TunnelListener, TunnelStream, OpenOptions, ListenOptions } from './types.ts'
import { TUN_ERR_DUPLICATE_SCHEME, TUN_ERR_UNKNOWN_SCHEME } from './errors.ts'
import { parseTunnelUrl } from './url.ts'

export class TunnelRegistry {
  #kinds = new Map<string, Tunnel>()

  register (tunnel: Tunnel): this {
    if (this.#kinds.has(tunnel.scheme)) throw new TUN_ERR_DUPLICATE_SCHEME(tunnel.scheme)
    this.#kinds.set(tunnel.scheme, tunnel)
    return this
  }

  get (scheme: string): Tunnel {
    const s = scheme.endsWith(':') ? scheme.slice(0, -1) : scheme
    const kind = this.#kinds.get(s)
    if (kind == null) throw new TUN_ERR_UNKNOWN_SCHEME(s, [...this.#kinds.keys()].join(', ') || '(none)')
    return kind
  }

  has (scheme: string): boolean {
    return this.#kinds.has(scheme)
  }

  schemes (): string[] {
    return [...this.#kinds.keys()]
  }

  // async: a bad URL or an unknown scheme rejects like any other failure to open, never throws.
  async open (url: string | URL, options: OpenOptions): Promise<TunnelStream> {
    const u = parseTunnelUrl(url)
    return await this.get(u.protocol).open(u, options)
  }

  async listen (url: string | URL, options?: ListenOptions): Promise<TunnelListener> {
    const u = parseTunnelUrl(url)
    return await this.get(u.protocol).listen(u, options)
  }

  async close (): Promise<void> {
    for (const kind of [...this.#kinds.values()].reverse()) await kind.close?.()
  }
}
