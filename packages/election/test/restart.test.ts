import { describe, expect, it, vi } from 'vitest'
import type { PeerId } from '../src/index.ts'
import { Cluster } from './sim/cluster.ts'
import { describeTimes, percentile } from './sim/stats.ts'

// Simulated runs take seconds of CPU; allow far more wall time on a busy machine. Only simulated (deterministic) time
// is ever asserted, never wall-clock time.
vi.setConfig({ testTimeout: 300_000 })

const lossy = { loss: 0.1, delayMs: [10, 150] as const, duplicate: 0.05 }
const SEEDS = 50

interface Failover {
  /** Terms past the old leader's term at which the new leader was recognised by every live node. */
  terms: number
  /** Simulated ms from the old leader's end to that. */
  took: number
  /** How far the distrusting nodes' election had run ahead of the fence when the leader ended. */
  runaway: number
}

/**
 * 9 nodes elect a leader L; 4 of the others distrust L for 200 s of simulated time while the other 4 keep following
 * it (so L keeps its quorum and leads on), then L crashes or closes (resign, then crash).
 */
function splitTrustThenEnd (seed: number, ending: 'crash' | 'close'): Failover {
  const c = new Cluster({ size: 9, seed, link: lossy })
  c.runUntilAgreement(10_000)
  c.runFor(2_000)
  const before = c.settle()
  const others = c.ids.filter(id => id !== before.leader)
  const distrusting = others.slice(0, 4)
  const following: PeerId[] = [before.leader, ...others.slice(4)]
  for (const id of distrusting) c.act(id, e => e.distrust(before.leader))
  c.runFor(200_000)
  // The scenario holds: L still leads its followers, and the distrusting nodes do not follow it.
  expect(c.runUntilAgreement(3_000, a => a.leader === before.leader && a.term === before.term, () => following), `seed ${seed}`).toBeDefined()
  for (const id of distrusting) expect(c.election(id).leader, `seed ${seed}`).toBeUndefined()
  const runaway = Math.max(...distrusting.map(id => (c.election(id).status().electing ?? 0) - before.term))

  if (ending === 'close') c.close(before.leader)
  else c.crash(before.leader)
  const took = c.runUntilAgreement(60_000, a => a.term > before.term)
  expect(took, `seed ${seed}`).toBeDefined()
  const after = c.agreement() as { leader: PeerId, term: number }
  expect(c.doubleVotes).toEqual([])
  expect(c.regressions).toEqual([])
  return { terms: after.term - before.term, took: took as number, runaway }
}

function report (label: string, runs: Failover[]): void {
  const terms = runs.map(r => r.terms)
  console.info(describeTimes(label, runs.map(r => r.took)) +
    `; terms past the fence: median ${percentile(terms, 50)} p95 ${percentile(terms, 95)} max ${Math.max(...terms)}` +
    ` (the first term after it in ${terms.filter(t => t === 1).length} of ${terms.length})` +
    `; distrusting nodes ran ${Math.min(...runs.map(r => r.runaway))}–${Math.max(...runs.map(r => r.runaway))} terms ahead`)
}

describe('a leadership that some nodes had stopped following ends', () => {
  for (const ending of ['crash', 'close'] as const) {
    it(`after the leader ${ending === 'crash' ? 'crashes' : 'resigns'}, the distrusting nodes restart at its term + 1 with everyone (${SEEDS} seeds)`, () => {
      const runs: Failover[] = []
      for (let seed = 1; seed <= SEEDS; seed++) runs.push(splitTrustThenEnd(seed, ending))
      report(`${ending}, 9 nodes (4 distrusting for 200 s), 10 % loss`, runs)
      for (const [i, r] of runs.entries()) expect(r.terms, `seed ${i + 1}`).toBeLessThanOrEqual(3)
      expect(percentile(runs.map(r => r.took), 100)).toBeLessThan(4_000)
      expect(percentile(runs.map(r => r.terms), 50)).toBe(1)
    })
  }
})
