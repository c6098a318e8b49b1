// Finds the end of a chunked body (RFC 9112 §7.1) without decoding it: the proxy forwards the
// bytes untouched, so this only walks a state machine over them. Data runs are skipped in one
// step; framing bytes are checked one by one, so any split of the input gives the same answer.
import type { ChunkedScanner } from './types.ts'
import { CHAIN_ERR_HTTP_BAD_CHUNK, CHAIN_ERR_HTTP_CHUNK_LINE_TOO_LONG } from './errors.ts'
import { FIELD_CHAR, TCHAR } from './head.ts'

/** Longest chunk-size or trailer line, CRLF excluded. */
export const DEFAULT_MAX_CHUNK_LINE_BYTES = 4096
/** Whole trailer section; trailers pass through, this only stops an endless one. */
export const MAX_TRAILER_BYTES = 16 * 1024

const CR = 13
const LF = 10
const SP = 32
const HT = 9

// States, named after what the next byte should be.
const SIZE_START = 0 // first hex digit of a chunk-size
const SIZE = 1 // more hex digits, BWS, ';' or CR
const SIZE_WS = 2 // BWS before ';'
const EXT = 3 // chunk-ext bytes up to CR
const SIZE_LF = 4
const DATA = 5 // `remaining` data bytes
const DATA_CR = 6
const DATA_LF = 7
const TRAILER_START = 8 // CR (end of body) or a field name
const TRAILER_NAME = 9
const TRAILER_VALUE = 10
const TRAILER_LF = 11
const FINAL_LF = 12
const DONE = 13

/** Largest size before one more hex digit could pass Number.MAX_SAFE_INTEGER. */
const SIZE_LIMIT = Math.floor((Number.MAX_SAFE_INTEGER - 15) / 16)

function hexValue (c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  const l = c | 0x20
  if (l >= 97 && l <= 102) return l - 87
  return -1
}

export function createChunkedScanner (limits?: { maxLineBytes?: number }): ChunkedScanner {
  const maxLine = limits?.maxLineBytes ?? DEFAULT_MAX_CHUNK_LINE_BYTES
  let state = SIZE_START
  let remaining = 0
  let line = 0
  let trailer = 0

  function lineByte (what: string): void {
    if (++line > maxLine) throw new CHAIN_ERR_HTTP_CHUNK_LINE_TOO_LONG(what, maxLine)
  }
  function trailerByte (): void {
    lineByte('trailer line')
    if (++trailer > MAX_TRAILER_BYTES) throw new CHAIN_ERR_HTTP_CHUNK_LINE_TOO_LONG('trailer section', MAX_TRAILER_BYTES)
  }

  return {
    push (chunk: Buffer): { consumed: number, done: boolean } {
      if (state === DONE) return { consumed: 0, done: true }
      const len = chunk.length
      let i = 0
      while (i < len) {
        if (state === DATA) {
          const n = Math.min(remaining, len - i)
          remaining -= n
          i += n
          if (remaining === 0) state = DATA_CR
          continue
        }
        const c = chunk[i++]
        switch (state) {
          case SIZE_START: {
            lineByte('chunk-size line')
            const d = hexValue(c)
            if (d < 0) throw new CHAIN_ERR_HTTP_BAD_CHUNK('chunk-size is not hex')
            remaining = d
            state = SIZE
            break
          }
          case SIZE: {
            if (c === CR) { state = SIZE_LF; break }
            lineByte('chunk-size line')
            const d = hexValue(c)
            if (d >= 0) {
              if (remaining > SIZE_LIMIT) throw new CHAIN_ERR_HTTP_BAD_CHUNK('chunk-size overflows')
              remaining = remaining * 16 + d
            } else if (c === 59) state = EXT // ';'
            else if (c === SP || c === HT) state = SIZE_WS
            else throw new CHAIN_ERR_HTTP_BAD_CHUNK('invalid character after chunk-size')
            break
          }
          case SIZE_WS:
            lineByte('chunk-size line')
            if (c === 59) state = EXT
            else if (c !== SP && c !== HT) throw new CHAIN_ERR_HTTP_BAD_CHUNK('whitespace after chunk-size without an extension')
            break
          case EXT:
            if (c === CR) { state = SIZE_LF; break }
            lineByte('chunk-size line')
            if (FIELD_CHAR[c] !== 1) throw new CHAIN_ERR_HTTP_BAD_CHUNK('invalid character in chunk extension')
            break
          case SIZE_LF:
            if (c !== LF) throw new CHAIN_ERR_HTTP_BAD_CHUNK('chunk-size line does not end in CRLF')
            line = 0
            state = remaining === 0 ? TRAILER_START : DATA
            break
          case DATA_CR:
            if (c !== CR) throw new CHAIN_ERR_HTTP_BAD_CHUNK('chunk data not followed by CRLF')
            state = DATA_LF
            break
          case DATA_LF:
            if (c !== LF) throw new CHAIN_ERR_HTTP_BAD_CHUNK('chunk data not followed by CRLF')
            state = SIZE_START
            break
          case TRAILER_START:
            if (c === CR) state = FINAL_LF
            else if (TCHAR[c] === 1) { trailerByte(); state = TRAILER_NAME } else throw new CHAIN_ERR_HTTP_BAD_CHUNK('invalid trailer field name')
            break
          case TRAILER_NAME:
            trailerByte()
            if (c === 58) state = TRAILER_VALUE // ':'
            else if (TCHAR[c] !== 1) throw new CHAIN_ERR_HTTP_BAD_CHUNK('invalid character in trailer field name')
            break
          case TRAILER_VALUE:
            if (c === CR) state = TRAILER_LF
            else if (FIELD_CHAR[c] === 1) trailerByte()
            else throw new CHAIN_ERR_HTTP_BAD_CHUNK('invalid character in trailer field value')
            break
          case TRAILER_LF:
            if (c !== LF) throw new CHAIN_ERR_HTTP_BAD_CHUNK('bare CR in trailer')
            line = 0
            state = TRAILER_START
            break
          case FINAL_LF:
            if (c !== LF) throw new CHAIN_ERR_HTTP_BAD_CHUNK('body does not end in CRLF')
            state = DONE
            return { consumed: i, done: true }
        }
      }
      return { consumed: len, done: false }
    }
  }
}
