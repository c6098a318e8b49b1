// A time box for async properties that never abandons a run. fast-check's interruptAfterTimeLimit
// stops waiting for the run in flight but cannot stop it: that run goes on in the background,
// writing to stores and talking to servers that the next test or the teardown is using. Here a
// run always finishes; once the time is up, the remaining runs pass without doing anything.
export function withinTime<A extends unknown[]> (ms: number, predicate: (...args: A) => Promise<boolean | void>): (...args: A) => Promise<boolean | void> {
  const end = Date.now() + ms
  return async (...args: A) => Date.now() > end ? undefined : await predicate(...args)
}
