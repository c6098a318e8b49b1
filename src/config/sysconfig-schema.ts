// YAML shape of `sysconfig:` in a gateway config: the zone's key-value store, either served by
// this process (`serve:`, one per zone; node:sqlite or etcd) or reached at `url:`, and with it
// service discovery, `service://` upstreams, the zone's apps and the token issuer.
import { Type } from '@sinclair/typebox'
import { DID_PATTERN } from '../identity/did.ts'
import { EXPECT, closed } from './schema-keywords.ts'

const NAME = '^[a-z0-9][a-z0-9_-]{0,62}$'
const Did = Type.String({ pattern: DID_PATTERN, [EXPECT]: 'a did:dev:<base64url> string' })

export const SysconfigSchema = Type.Object({
  zone: Type.String({ minLength: 1, description: 'The zone name: the audience of every token in the zone (system-config calls, sessions).' }),
  owner: { ...Did, description: 'The zone owner\'s key (zonegate keygen): its tokens act as the user root.' },
  node: Type.String({ pattern: NAME, [EXPECT]: 'a lower-case name such as "node1"', description: 'This node\'s name in the zone: services/<svc>/instances/<node>, rtcp://<node>/ for other nodes.' }),
  devices: Type.Optional(Type.Record(Type.String({ pattern: NAME }), Did, { description: 'The zone\'s devices by node name (their tokens are trusted; rules know them by name). This device is always one. Peers are not added by themselves: an SN is a peer too, and a device may read and write the zone\'s configuration.' })),
  url: Type.Optional(Type.String({ pattern: '^https?://', [EXPECT]: 'an http:// or https:// URL', description: 'The system-config RPC endpoint of the node that serves it, e.g. http://127.0.0.2:3180/kapi/system_config.' })),
  serve: Type.Optional(Type.Object({
    backend: Type.Optional(Type.Union([Type.Literal('sqlite'), Type.Literal('etcd')], { default: 'sqlite', description: 'sqlite: one file, no server. etcd: for zones that outgrow one machine.' })),
    file: Type.Optional(Type.String({ minLength: 1, default: './sysconfig.db', description: 'The sqlite file, relative to this config file.' })),
    etcd: Type.Optional(Type.Object({
      endpoints: Type.Array(Type.String({ pattern: '^https?://' }), { minItems: 1, description: 'etcd client URLs.' }),
      prefix: Type.Optional(Type.String({ default: 'zonegate/', description: 'Key prefix in etcd.' }))
    }, closed)),
    listen: Type.Optional(Type.String({ minLength: 3, description: 'IP:port for the RPC over plain HTTP as well (loopback; `zonegate sysconfig` needs it). The node gateway reaches it as internal://system_config in any case.' })),
    verify_hub: Type.Optional(Type.Boolean({ default: true, description: 'Run the zone\'s token issuer here too (internal://verify_hub); its key lives in system-config.' }))
  }, { ...closed, description: 'Serve the zone\'s system-config from this process.' }))
}, { ...closed, description: 'The zone\'s system-config, service discovery and apps (docs/config.md).' })
