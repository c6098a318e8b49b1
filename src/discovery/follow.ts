// Following one prefix of system-config: a snapshot (the revision read first, then the keys, so a
// watch from that revision misses nothing), then long-polls in order. SYSCFG_ERR_COMPACTED takes
// the snapshot again (at once the first time); other failures back off, 100 ms doubling to 5 s.
// The service view, the apps and the enrolled devices all follow their prefix this way.
import type { Logger } from '../core/logger.ts'
import { hasCode } from '../core/errors.ts'
import type { WatchEvent } from '../sysconfig/store/types.ts'
import type { DiscoverySource } from './source.ts'
import { sleep } from '../core/sleep.ts'

export interface FollowInit {
  source: DiscoverySource
  prefix: string
  /** Reads the prefix as it is now; returns the revision taken before reading. */
  snapshot: () => Promise<number>
  /** Changes after the snapshot, in order, and the revision they bring the view to. */
  apply: (events: WatchEvent[], revision: number) => void | Promise<void>
  /** After every snapshot (the first one makes the view ready). */
  onSynced?: () => void
  /** Stops the loop; followPrefix resolves soon after. */
  signal: AbortSignal
  log: Logger
  /** For log lines: what is being followed ("services/", "apps"). */
  what: string
  /** Long-poll length. Default 30 s. */
  timeoutMs?: number
}

const MAX_BACKOFF_MS = 5000

export async function followPrefix (init: FollowInit): Promise<void> {
  const { source, signal } = init
  const timeoutMs = init.timeoutMs ?? 30_000
  let revision = 0
  let synced = false
  let failures = 0
  /** Resyncs since the last watch that succeeded. */
  let resyncs = 0
  while (!signal.aborted) {
    try {
      if (!synced) {
        revision = await init.snapshot()
        synced = true
        init.onSynced?.()
      } else {
        const r = await source.watch(init.prefix, revision, { timeoutMs, signal })
        if (signal.aborted) return
        revision = Math.max(revision, r.revision)
        await init.apply(r.events, revision)
        resyncs = 0
      }
      failures = 0
    } catch (err) {
      if (signal.aborted) return
      if (hasCode(err, 'SYSCFG_ERR_COMPACTED')) {
        init.log.info({ revision }, `watch history compacted; reading ${init.what} again`)
        synced = false
        // At once the first time; should the store keep refusing the revision it has just
        // given (it should not), back off rather than spin.
        if (++resyncs === 1) continue
      }
      failures++
      const wait = Math.min(100 * 2 ** (failures - 1), MAX_BACKOFF_MS)
      init.log.warn({ err, retryInMs: wait }, `watch of ${init.what} failed`)
      await sleep(wait, signal)
    }
  }
}
