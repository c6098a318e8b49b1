// The soft limit of a watch answer: at most `limit` events, except that the revision holding the
// limit-th event is always returned whole, so a resumed watch (from the returned revision) never
// misses the rest of a transaction.
import type { WatchEvent } from './types.ts'

export function cutAtRevision (events: WatchEvent[], limit: number): { events: WatchEvent[], revision: number } {
  if (events.length <= limit) return { events, revision: events[events.length - 1].revision }
  const last = events[limit - 1].revision
  let end = limit
  while (end < events.length && events[end].revision === last) end++
  return { events: events.slice(0, end), revision: last }
}
