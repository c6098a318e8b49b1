// The four balancing policies. Each picks one upstream out of a non-empty candidate list (the
// group has already removed upstreams tried for this connection and, when it can, unhealthy
// ones), so failover simply asks again with a shorter list.
import { hash } from 'node:crypto'
import type { Balance } from '../types.ts'
import type { UpstreamState } from './upstream-state.ts'

export interface Balancer {
  /** `candidates` is non-empty and in configuration order; `key` is the client address (hash). */
  pick (candidates: readonly UpstreamState[], key: string): UpstreamState
}

/** A uniform random number in [0, 1); injectable so tests can seed it. */
export type Random = () => number

/**
 * nginx's smooth weighted round robin (ngx_http_upstream_get_peer): every candidate gains its
 * weight, the highest running weight wins and pays back the total. Weights 5/1/1 give
 * a a b a c a a — spread out, never five a's in a row.
 */
export function smoothRoundRobin (): Balancer {
  return {
    pick (candidates) {
      let total = 0
      let best = candidates[0]
      for (const c of candidates) {
        c.currentWeight += c.weight
        total += c.weight
        if (c.currentWeight > best.currentWeight) best = c
      }
      best.currentWeight -= total
      return best
    }
  }
}

export function weightedRandom (random: Random): Balancer {
  return {
    pick (candidates) {
      let total = 0
      for (const c of candidates) total += c.weight
      let r = random() * total
      for (const c of candidates) {
        r -= c.weight
        if (r < 0) return c
      }
      return candidates[candidates.length - 1] // r landed on the upper edge through rounding
    }
  }
}

/** The client address without an IPv4-mapped prefix, so "::ffff:10.0.0.1" and "10.0.0.1" agree. */
function hashKey (address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

/** A stable number in (0, 1) for (key, url): the same on every run and every gateway. */
function unitHash (key: string, url: string): number {
  const h = parseInt(hash('sha1', `${key}\0${url}`, 'hex').slice(0, 13), 16) // 52 bits
  return (h + 0.5) / 2 ** 52
}

/**
 * Weighted rendezvous (highest random weight) hashing: each upstream scores -w / ln(u) for the
 * client, the best score wins. Removing an upstream (unhealthy, or already tried) moves only the
 * clients it had; everyone else keeps their upstream.
 */
export function rendezvousHash (): Balancer {
  return {
    pick (candidates, key) {
      const k = hashKey(key)
      let best = candidates[0]
      let bestScore = -Infinity
      for (const c of candidates) {
        const score = -c.weight / Math.log(unitHash(k, c.url))
        if (score > bestScore) { best = c; bestScore = score }
      }
      return best
    }
  }
}

/**
 * Fewest active streams per unit of weight; among equals the lowest EWMA of first-byte (else
 * connect) time, an upstream without samples counting as fastest so it gets measured; remaining
 * ties rotate so equal upstreams share the load.
 */
export function leastTime (): Balancer {
  let turn = 0
  return {
    pick (candidates) {
      let tied: UpstreamState[] = []
      let bestLoad = Infinity
      let bestTime = Infinity
      for (const c of candidates) {
        const load = c.active / c.weight
        const time = c.ewmaMs ?? 0
        if (load < bestLoad || (load === bestLoad && time < bestTime)) {
          tied = [c]; bestLoad = load; bestTime = time
        } else if (load === bestLoad && time === bestTime) {
          tied.push(c)
        }
      }
      return tied[turn++ % tied.length]
    }
  }
}

export function createBalancer (balance: Balance, random: Random = Math.random): Balancer {
  switch (balance) {
    case 'round_robin': return smoothRoundRobin()
    case 'random': return weightedRandom(random)
    case 'hash': return rendezvousHash()
    case 'least_time': return leastTime()
  }
}
