// Coded errors of the PROXY protocol codec (proxy-*.ts). The ClientHello probe's codes live in
// ../errors.ts; these are separate so the codec's area stays self-contained.
import { createError } from '../../core/errors.ts'

/** A v1 line that starts with "PROXY " but breaks the grammar (fields, addresses, ports, CRLF). */
export const CHAIN_ERR_PROXY_BAD_V1 = createError('CHAIN_ERR_PROXY_BAD_V1', 'bad PROXY v1 header: %s')
/** A v2 header with the signature but a bad version, command, family, length or TLV. */
export const CHAIN_ERR_PROXY_BAD_V2 = createError('CHAIN_ERR_PROXY_BAD_V2', 'bad PROXY v2 header: %s')
/** A v2 header announcing more bytes than we buffer; refused before the bytes arrive. */
export const CHAIN_ERR_PROXY_TOO_LARGE = createError('CHAIN_ERR_PROXY_TOO_LARGE', 'PROXY v2 header of %d bytes exceeds the limit of %d', RangeError)
/** encodeProxyV1/V2 called with something that cannot be sent (bad address, port, TLV). */
export const CHAIN_ERR_PROXY_BAD_ENCODE = createError('CHAIN_ERR_PROXY_BAD_ENCODE', 'cannot encode PROXY header: %s', TypeError)
