// A pause that ends early, without an error, when the signal aborts: retry loops wait between
// attempts this way and stop at once on shutdown. (timers/promises rejects on abort instead,
// which every caller would have to catch.)
export function sleep (ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal.aborted) { resolve(); return }
    const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve() }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}
