// The rtcp:// tunnel kind.
//   open('rtcp://<peer>/<target>')   a stream to <target> on the peer (a name from the config, or a
//                                    device key); the peer resolves the target with its own rules
//   listen('rtcp://local/<name>')    accept streams that peers open to the target <name>
import type { Tunnel, TunnelListener, TunnelStream, OpenOptions } from '../tunnel/types.ts'
import { targetText, targetOf } from '../tunnel/url.ts'
import { ListenerQueue } from '../tunnel/listener-queue.ts'
import type { RtcpNode } from './node.ts'
import { RTCP_ERR_BAD_LISTEN_URL } from './errors.ts'

export function rtcpTunnel (node: RtcpNode): Tunnel {
  return {
    scheme: 'rtcp',
    async open (url: URL, options: OpenOptions): Promise<TunnelStream> {
      const target = targetText(url)
      const peer = node.peers.resolve(url.hostname)
      return await node.openStream(peer, target, { signal: options.signal })
    },
    async listen (url: URL): Promise<TunnelListener> {
      const t = targetOf(url)
      if (t.kind !== 'name') throw new RTCP_ERR_BAD_LISTEN_URL(url.href)
      const bound = new URL(`rtcp://${encodeURIComponent(node.did)}/${t.name}`)
      const queue = new ListenerQueue(bound, () => { unbind() })
      const unbind = node.bindName(t.name, (stream) => { queue.push(stream) })
      return queue
    }
  }
}
