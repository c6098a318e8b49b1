// Who we know: configured peers by name, their device keys and how to reach them. rtcp URLs name a
// peer by its configured name or by its device key (the base64url key, or the percent-encoded did).
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { isIP } from 'node:net'
import type { PeerId } from '@libp2p/interface'
import type { RtcpPeerConfig } from '../config/types.ts'
import { peerIdFromDid, didFromPeerId } from '../identity/did.ts'
import { RTCP_ERR_UNKNOWN_PEER } from './errors.ts'

export interface KnownPeer {
  name: string
  did: string
  peerId: PeerId
  /** Direct addresses, each ending in /p2p/<peer id>. */
  addrs: Multiaddr[]
  /** The relay (an SN) through which this peer can be reached, when configured. */
  via?: KnownPeer
  /** socks://[user:pass@]host:port: direct dials to `addrs` go through this SOCKS5 proxy. */
  proxy?: string
  keep: boolean
}

/** host:port (or [v6]:port) → a TCP multiaddr. */
export function tcpMultiaddr (hostPort: string): Multiaddr {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(hostPort) ?? /^([^:]+):(\d+)$/.exec(hostPort)
  if (m == null) throw new TypeError(`not a host:port address: ${hostPort}`)
  const [, host, port] = m
  const proto = isIP(host) === 6 ? 'ip6' : isIP(host) === 4 ? 'ip4' : 'dns'
  return multiaddr(`/${proto}/${host}/tcp/${port}`)
}

export class PeerBook {
  #byName = new Map<string, KnownPeer>()
  #byPeerId = new Map<string, KnownPeer>()

  constructor (peers: RtcpPeerConfig[]) {
    for (const p of peers) {
      const peerId = peerIdFromDid(p.did)
      const known: KnownPeer = {
        name: p.name,
        did: p.did,
        peerId,
        addrs: p.addrs.map(a => tcpMultiaddr(a).encapsulate(`/p2p/${peerId.toString()}`)),
        ...(p.proxy != null ? { proxy: p.proxy } : {}),
        keep: p.keep
      }
      this.#byName.set(p.name, known)
      this.#byPeerId.set(peerId.toString(), known)
    }
    for (const p of peers) {
      if (p.via != null) {
        const relay = this.#byName.get(p.via)
        if (relay == null) throw new RTCP_ERR_UNKNOWN_PEER(p.via)
        this.#byName.get(p.name)!.via = relay
      }
    }
  }

  all (): KnownPeer[] {
    return [...this.#byName.values()]
  }

  /** The peer a URL host names: a configured name, a did:dev (percent-encoded), or a bare key. */
  resolve (host: string): KnownPeer {
    const byName = this.#byName.get(host)
    if (byName != null) return byName
    let did = decodeURIComponent(host)
    if (!did.startsWith('did:dev:')) did = `did:dev:${did}`
    let peerId: PeerId
    try {
      peerId = peerIdFromDid(did)
    } catch (err) {
      throw new RTCP_ERR_UNKNOWN_PEER(host, { cause: err })
    }
    return this.#byPeerId.get(peerId.toString()) ?? { name: did, did, peerId, addrs: [], keep: false }
  }

  byPeerId (peerId: PeerId): KnownPeer | undefined {
    return this.#byPeerId.get(peerId.toString())
  }

  /** A name for logs: the configured name when there is one, else the did. */
  label (peerId: PeerId): string {
    return this.#byPeerId.get(peerId.toString())?.name ?? didFromPeerId(peerId)
  }
}
