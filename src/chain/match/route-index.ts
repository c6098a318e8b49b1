// The candidate index behind RouteTable.lookup: exact-name and wildcard-suffix maps so that a
// lookup with an SNI (or Host) touches only the routes that could match that name, never every
// route. Each route is filed under one key:
//   - its sni patterns, when it has sni and none of them is "*";
//   - else its host patterns, when it has host and none of them is "*";
//   - else the "always candidate" list.
// A lookup collects the lists for the name's exact entry, every wildcard suffix of the name, and
// the always list, and walks them merged by route index. Every list is in ascending route order
// and holds each route at most once, so the merged walk tests candidates in file order and the
// first match equals a linear scan's (test/unit/chain/table.test.ts checks that property).
import type { ConnFacts, MatchSpec } from '../types.ts'
import { normalizeHost, normalizePattern } from './host-pattern.ts'
import { sniOf } from './compile-match.ts'

/** Route indices by exact name and by wildcard suffix; also used by findShadowed. */
export class NameIndex {
  readonly exact = new Map<string, number[]>()
  /** "*.example.com" is filed under "example.com". */
  readonly wild = new Map<string, number[]>()

  add (index: number, patterns: readonly string[]): void {
    for (const raw of patterns) {
      const p = normalizePattern(raw)
      if (p.startsWith('*.')) push(this.wild, p.slice(2), index)
      else push(this.exact, p, index)
    }
  }

  /**
   * Append the lists that may hold routes matching `name` (already normalized). Given a pattern
   * instead ("*.a.test"), the same walk finds the patterns that may cover it.
   */
  collect (name: string | undefined, into: number[][]): void {
    if (name === undefined) return
    const e = this.exact.get(name)
    if (e !== undefined) into.push(e)
    if (this.wild.size === 0) return
    // Every suffix after a dot: "a.b.c" → "b.c", "c".
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
      const w = this.wild.get(name.slice(dot + 1))
      if (w !== undefined) into.push(w)
    }
  }
}

function push (map: Map<string, number[]>, key: string, index: number): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [index])
  else if (list[list.length - 1] !== index) list.push(index) // a route listing a name twice
}

export class RouteIndex {
  readonly #sni = new NameIndex()
  readonly #host = new NameIndex()
  readonly #always: number[] = []

  /** Routes must be added in ascending index order. */
  add (index: number, match: MatchSpec): void {
    if (match.sni != null && !match.sni.includes('*')) this.#sni.add(index, match.sni)
    else if (match.host != null && !match.host.includes('*')) this.#host.add(index, match.host)
    else this.#always.push(index)
  }

  /** The candidate lists for these facts, each ascending; their merge is the candidate order. */
  candidates (facts: Readonly<ConnFacts>): number[][] {
    const lists: number[][] = []
    this.#sni.collect(sniOf(facts), lists)
    // A host condition fails without an HTTP request, so host-filed routes are no candidates then.
    if (facts.http != null) this.#host.collect(normalizeHost(facts.http.host), lists)
    if (this.#always.length > 0) lists.push(this.#always)
    return lists
  }
}

/**
 * Walk the ascending lists merged in ascending order (skipping repeats) and return the first
 * index for which `test` holds, or -1.
 */
export function firstInMerge (lists: readonly number[][], test: (index: number) => boolean): number {
  if (lists.length === 1) {
    for (const i of lists[0]) if (test(i)) return i
    return -1
  }
  const at = new Array<number>(lists.length).fill(0)
  let last = -1
  for (;;) {
    let best = -1
    let min = Infinity
    for (let k = 0; k < lists.length; k++) {
      const list = lists[k]
      // Skip what was already tested (a route filed under its exact name and a wildcard).
      while (at[k] < list.length && list[at[k]] <= last) at[k]++
      if (at[k] < list.length && list[at[k]] < min) { min = list[at[k]]; best = k }
    }
    if (best < 0) return -1
    at[best]++
    last = min
    if (test(min)) return min
  }
}
