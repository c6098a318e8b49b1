// node bench/peers/swarm.ts SN_ADDR SN_DID COUNT — COUNT devices, each with its own key, each
// keeping one idle rtcp tunnel to the SN. Prints "ready N" once all are up, then holds them.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { RtcpNode } from '../../src/rtcp/node.ts'
import { silentLogger } from '../../src/core/logger.ts'
import { benchRtcpConfig } from './config.ts'

const [addr, snDid, countText] = process.argv.slice(2)
const count = Number(countText)
const nodes: RtcpNode[] = []
let up = 0
const batch = 25
for (let i = 0; i < count; i += batch) {
  await Promise.all(Array.from({ length: Math.min(batch, count - i) }, async () => {
    const key = await generateKeyPair('Ed25519')
    const node = new RtcpNode({ privateKey: key, logger: silentLogger(), config: benchRtcpConfig({ peers: [{ name: 'sn', did: snDid, addrs: [addr], keep: true }], trust: { devices: [snDid], allowAny: false } }) })
    await node.start()
    await node.connect(node.peers.resolve('sn'), AbortSignal.timeout(30_000))
    nodes.push(node)
    up++
  }))
}
process.stdout.write(`ready ${up}\n`)
process.on('SIGTERM', () => { void Promise.all(nodes.map(n => n.stop())).finally(() => process.exit(0)) })
setInterval(() => {}, 1 << 30)
