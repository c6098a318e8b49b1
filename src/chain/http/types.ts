// The HTTP/1 codec's contract: heads are parsed from the bytes seen so far (callers retry with
// more), bodies are never decoded, only framed: the proxy moves body bytes as they are and only
// needs to know where a body ends.

/** A header as received: original name case (for forwarding), raw value (trimmed of OWS). */
export type HeaderPair = [name: string, value: string]

export interface RequestHead {
  method: string
  target: string
  version: 10 | 11
  headers: HeaderPair[]
  /** Length of the head in bytes, including the final CRLF CRLF. */
  bytes: number
}

export interface ResponseHead {
  version: 10 | 11
  status: number
  reason: string
  headers: HeaderPair[]
  /** Length of the head in bytes, including the final CRLF CRLF (0 for heads we build). */
  bytes: number
}

export type HeadResult<T> =
  | { status: 'done', head: T }
  | { status: 'need_more' }
  /** Requests only: the bytes so far cannot start an HTTP/1 request line (decided early, from the first bytes). */
  | { status: 'not_http' }

export interface HeadLimits {
  /** Longest head accepted (request/status line + headers); default 16 KiB. */
  maxBytes?: number
  /** Most header lines accepted; default 100. */
  maxHeaders?: number
}

/** Where a message body ends. */
export type BodyFraming =
  | { kind: 'none' }
  | { kind: 'length', length: number }
  | { kind: 'chunked' }
  /** Responses only: the body runs until the upstream closes (no length, not chunked). */
  | { kind: 'until_close' }

/** Tracks the end of a chunked body while the bytes pass through unchanged. */
export interface ChunkedScanner {
  /**
   * Feed the next bytes. Returns how many of them belong to the body (all of them until the last
   * chunk and trailers end) and whether the body is complete; bytes after `consumed` belong to the
   * next message. Throws a coded error on malformed framing or an over-long chunk-size/trailer line.
   */
  push(chunk: Buffer): { consumed: number, done: boolean }
}
