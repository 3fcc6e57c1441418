import { describe, expect, it, vi } from 'vitest'
import { seededRandom } from '../src/sim/index.ts'
import { Cluster } from './sim/cluster.ts'

// Simulated runs take seconds of CPU; allow far more wall time on a busy machine. Only simulated (deterministic) time
// is ever asserted, never wall-clock time.
vi.setConfig({ testTimeout: 120_000 })

/**
 * The invariants checked after every run (docs/election.md, "Safety"):
 * - premise: no honest node ever voted (or claimed) for two different candidates in one term;
 * - election safety: no term has two winners unless the theorem's precondition failed for it (some honest voter knew
 *   fewer members than voted in that term, which only diverged membership views produce);
 * - fencing: no node ever went from recognising a leadership back to one it outranks;
 * - liveness: once faults stop, all up nodes agree on one leader.
 */
function checkInvariants (c: Cluster, label: string): void {
  expect(c.doubleVotes, label).toEqual([])
  expect(c.splitTerms().covered, label).toEqual([])
  expect(c.regressions, label).toEqual([])
}

describe('safety under loss, delay, duplication, crashes and restarts (static membership)', () => {
  it('never has two leaders in one term, over 150 seeded runs with 10–30 % loss', () => {
    let elections = 0
    for (let seed = 1; seed <= 150; seed++) {
      const r = seededRandom(seed * 31)
      const size = [3, 4, 5, 7, 9, 12][seed % 6] as number
      const c = new Cluster({ size, seed, link: { loss: 0.1 + 0.2 * r(), delayMs: [5, 50 + 400 * r()], duplicate: 0.1 * r() } })
      let crashed = 0
      for (let step = 0; step < 8; step++) {
        c.runFor(1_000 + 8_000 * r())
        const x = r()
        const leader = c.currentLeaders()[0]
        if (x < 0.35 && leader !== undefined && crashed < Math.floor((size - 1) / 2)) {
          c.crash(leader)
          crashed++
        } else if (x < 0.6 && leader !== undefined) {
          c.restart(leader, 200 + 3_000 * r())
        }
      }
      const label = `seed ${seed} (${size} nodes)`
      expect(c.runUntilAgreement(60_000), label).toBeDefined()
      checkInvariants(c, label)
      // With one membership for everyone, the precondition holds and no term ever had two winners at all.
      expect(c.splitTerms().uncovered, label).toEqual([])
      elections += c.wins.length
    }
    expect(elections).toBeGreaterThan(150 * 3)
  })
})

describe('safety under partitions', () => {
  it('keeps the invariants through random partitions and heals, over 200 seeded runs', () => {
    let splitsAcrossDivergedViews = 0
    for (let seed = 1; seed <= 200; seed++) {
      const r = seededRandom(seed * 7919)
      const size = [3, 4, 5, 7, 9, 12, 20][seed % 7] as number
      const c = new Cluster({
        size,
        seed,
        link: { loss: 0.3 * r(), delayMs: [5, 50 + 300 * r()], duplicate: 0.1 * r() },
        election: { memberTtlMs: r() < 0.3 ? 0 : 15_000 }
      })
      c.runFor(5_000)
      let crashed = 0
      for (let step = 0; step < 10; step++) {
        const x = r()
        if (x < 0.2 && crashed < Math.floor(size / 3)) {
          const leader = c.currentLeaders()[0]
          if (leader !== undefined) { c.crash(leader); crashed++ }
        } else if (x < 0.5) {
          const shuffled = [...c.ids].sort(() => r() - 0.5)
          const cut = 1 + Math.floor(r() * (size - 1))
          c.partition([shuffled.slice(0, cut), shuffled.slice(cut)])
        } else if (x < 0.75) {
          c.heal()
        }
        c.runFor(500 + 20_000 * r())
      }
      c.heal()
      const label = `seed ${seed} (${size} nodes)`
      expect(c.runUntilAgreement(60_000), label).toBeDefined()
      checkInvariants(c, label)
      splitsAcrossDivergedViews += c.splitTerms().uncovered.length
    }
    console.info(`terms with two winners across diverged views (allowed, resolved by rank): ${splitsAcrossDivergedViews}`)
  })
})
