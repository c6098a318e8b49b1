// Which response headers a config may set: names must be tokens, and the headers that frame the
// body (content-length, transfer-encoding) or manage the connection belong to the engine — a
// configured value there would desynchronise the client's parser.
import { CHAIN_ERR_BAD_HEADER } from './errors.ts'

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const ENGINE_OWNED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'trailer'])

/** Throws CHAIN_ERR_BAD_HEADER unless `name` may be set, added or removed by config. */
export function checkHeaderName (name: string): void {
  if (!TOKEN.test(name)) throw new CHAIN_ERR_BAD_HEADER(name, 'not a valid header name')
  if (ENGINE_OWNED.has(name.toLowerCase())) throw new CHAIN_ERR_BAD_HEADER(name, 'framing and connection headers are managed by the gateway')
}
