// CPU used by a proxy's process tree, for the SOCKS benchmark. bench/chain/procs.ts's cpuNs() sums
// the schedstat of the threads alive now, which is right for event loops but loses the CPU of
// threads that have exited: microsocks runs each session on its own thread, so its sessions'
// CPU would vanish. /proc/<pid>/stat's utime+stime count every thread the process ever had, and
// cutime+cstime its reaped children (dante forks helpers); the unit is a 10 ms tick, small
// against the seconds of CPU one measurement uses.
import { readFileSync, readdirSync } from 'node:fs'

const TICK_NS = 1e9 / 100 // USER_HZ

interface Stat { ppid: number, ticks: number }

function stats (): Map<number, Stat> {
  const out = new Map<number, Stat>()
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue
    let stat = ''
    try { stat = readFileSync(`/proc/${e}/stat`, 'utf8') } catch { continue }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    out.set(Number(e), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) })
  }
  return out
}

/** CPU time used so far by `pid` and its descendants (exited threads and reaped children included), in ns. */
export function treeCpuNs (pid: number): number {
  const all = stats()
  if (!all.has(pid)) return NaN
  const kids = new Map<number, number[]>()
  for (const [p, s] of all) kids.set(s.ppid, [...(kids.get(s.ppid) ?? []), p])
  let ticks = 0
  const walk = (p: number): void => { ticks += all.get(p)?.ticks ?? 0; for (const k of kids.get(p) ?? []) walk(k) }
  walk(pid)
  return ticks * TICK_NS
}
