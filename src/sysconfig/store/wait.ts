// A bounded wait for "something may have changed": resolves 'changed' when `subscribe`'s callback
// fires, 'timeout' after timeoutMs, rejects with SYSCFG_ERR_WATCH_ABORTED when the signal aborts.
// Every path removes its listener and timer, so a long-poll leaves nothing behind.
import { SYSCFG_ERR_WATCH_ABORTED } from '../errors.ts'

/** Longest wait one call honours; longer requests wait this long (setTimeout overflows at 2^31 ms). */
export const MAX_WAIT_MS = 3_600_000

export function clampTimeout (timeoutMs: unknown): number {
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) return 0
  return Math.min(timeoutMs, MAX_WAIT_MS)
}

export function waitForChange (subscribe: (wake: () => void) => () => void, timeoutMs: number, signal?: AbortSignal): Promise<'changed' | 'timeout'> {
  if (signal?.aborted === true) return Promise.reject(new SYSCFG_ERR_WATCH_ABORTED({ cause: signal.reason }))
  return new Promise((resolve, reject) => {
    let unsubscribe = (): void => {}
    const done = (): void => {
      clearTimeout(timer)
      unsubscribe()
      signal?.removeEventListener('abort', onAbort)
    }
    const onAbort = (): void => { done(); reject(new SYSCFG_ERR_WATCH_ABORTED({ cause: signal?.reason })) }
    const timer = setTimeout(() => { done(); resolve('timeout') }, timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    unsubscribe = subscribe(() => { done(); resolve('changed') })
  })
}
