// From a path in the loaded data back to where it was written: the YAML document keeps each
// node's source range, and a LineCounter turns offsets into line:column.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml'

export interface Position { line: number, col: number }

export interface Locator {
  /** Where the value at `segments` was written, or the deepest ancestor that was written. */
  value(segments: readonly string[]): Position
  /** Where the key naming `segments`' last step was written (for unknown keys). */
  key(segments: readonly string[]): Position
}

export function createLocator (doc: Document, lineCounter: LineCounter): Locator {
  const at = (offset: number): Position => lineCounter.linePos(offset)
  const start = (node: unknown): number | undefined => (node as Node | null)?.range?.[0]

  function walk (segments: readonly string[], wantKey: boolean): Position {
    let node: unknown = doc.contents
    let best = start(node) ?? 0
    for (let i = 0; i < segments.length; i++) {
      if (isAlias(node)) node = node.resolve(doc)
      const seg = segments[i]
      const last = i === segments.length - 1
      if (isMap(node)) {
        const pair = node.items.find(p => keyText(p.key) === seg)
        if (pair == null) break
        const keyStart = start(pair.key)
        if (last && wantKey && keyStart != null) return at(keyStart)
        // `key:` with nothing after it has an empty null value; point at the key instead.
        const range = (pair.value as Node | null)?.range
        const valueStart = range == null || range[0] === range[1] ? undefined : range[0]
        best = valueStart ?? keyStart ?? best
        node = pair.value
      } else if (isSeq(node)) {
        const item = /^[0-9]+$/.test(seg) ? node.items[Number(seg)] : undefined
        if (item == null) break
        best = start(item) ?? best
        node = item
      } else {
        break
      }
    }
    return at(best)
  }

  return {
    value: (segments) => walk(segments, false),
    key: (segments) => walk(segments, true)
  }
}

function keyText (key: unknown): string {
  if (isScalar(key)) return String(key.value)
  return String(key)
}

/** JSON Pointer (Ajv's instancePath) → path segments. */
export function pointerSegments (pointer: string): string[] {
  if (pointer === '') return []
  return pointer.slice(1).split('/').map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** Segments → the dotted path shown to people: rtcp.peers.sn.did, stacks[0].id. */
export function displayPath (segments: readonly string[], data: unknown): string {
  let out = ''
  let node = data
  for (const seg of segments) {
    if (Array.isArray(node)) {
      out += `[${seg}]`
    } else {
      const plain = /^[A-Za-z0-9_-]+$/.test(seg)
      out += plain ? (out === '' ? seg : `.${seg}`) : `[${JSON.stringify(seg)}]`
    }
    node = node != null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined
  }
  return out
}
