import { describe, expect, it, vi } from 'vitest'
import { Cluster } from './sim/cluster.ts'
import { describeTimes, percentile } from './sim/stats.ts'

// Simulated runs take seconds of CPU; allow far more wall time on a busy machine. Only simulated (deterministic) time
// is ever asserted, never wall-clock time.
vi.setConfig({ testTimeout: 120_000 })

const lossy = { loss: 0.1, delayMs: [10, 150] as const, duplicate: 0.05 }

describe('convergence on a lossy simulated network', () => {
  for (const [size, seeds] of [[5, 8], [20, 5], [100, 2]] as const) {
    it(`${size} nodes elect exactly one leader that every node recognises, within 10 s of starting`, () => {
      for (let seed = 1; seed <= seeds; seed++) {
        const c = new Cluster({ size, seed, link: lossy })
        const took = c.runUntilAgreement(10_000)
        expect(took, `seed ${seed}`).toBeDefined()
        const agreed = c.agreement()
        expect(c.currentLeaders()).toEqual([agreed?.leader])
        // And it stays: nobody else wins anything in the next 10 s.
        const wins = c.wins.length
        c.runFor(10_000)
        expect(c.wins.length, `seed ${seed}`).toBe(wins)
        expect(c.runUntilAgreement(2_000, a => a.leader === agreed?.leader)).toBeDefined()
        expect(c.doubleVotes).toEqual([])
      }
    })
  }
})

describe('failover', () => {
  it('after the leader crashes, a new leader with a higher term is recognised by all within 4 s', () => {
    const times: number[] = []
    for (let seed = 1; seed <= 30; seed++) {
      const c = new Cluster({ size: 20, seed, link: lossy })
      c.runUntilAgreement(10_000)
      c.runFor(2_000)
      const before = c.settle()
      c.crash(before.leader)
      const took = c.runUntilAgreement(10_000, a => a.term > before.term)
      expect(took, `seed ${seed}`).toBeDefined()
      times.push(took as number)
      for (const id of c.honestUpIds()) expect(c.election(id).accepts(before.term, before.leader)).toBe(false)
    }
    console.info(describeTimes('crash failover, 20 nodes, 10 % loss', times))
    expect(percentile(times, 100)).toBeLessThan(4_000)
  })

  it('a leader that resigns (tab closing) is replaced faster than a crashed one', () => {
    const crashed: number[] = []
    const resigned: number[] = []
    for (let seed = 1; seed <= 20; seed++) {
      for (const graceful of [false, true]) {
        const c = new Cluster({ size: 20, seed, link: lossy })
        c.runUntilAgreement(10_000)
        c.runFor(2_000)
        const before = c.settle()
        if (graceful) c.close(before.leader)
        else c.crash(before.leader)
        const took = c.runUntilAgreement(10_000, a => a.term > before.term)
        expect(took, `seed ${seed}`).toBeDefined()
        ;(graceful ? resigned : crashed).push(took as number)
      }
    }
    console.info(describeTimes('resign failover, 20 nodes, 10 % loss', resigned))
    expect(percentile(resigned, 50)).toBeLessThan(percentile(crashed, 50) - 500)
  })

  it('a node that joins later follows the current leader without disturbing it', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const c = new Cluster({ size: 10, seed, link: lossy })
      c.runUntilAgreement(10_000)
      const before = c.agreement()
      const wins = c.wins.length
      const joined = c.addNode()
      expect(c.runUntilAgreement(6_000, a => c.election(joined).leader === a.leader)).toBeDefined()
      expect(c.agreement()).toEqual(before)
      c.runFor(10_000)
      expect(c.wins.length).toBe(wins)
    }
  })

  it('a leader that restarts with its peer id is replaced, and the restarted node never votes twice in a term', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const c = new Cluster({ size: 7, seed, link: { ...lossy, loss: 0.2 } })
      for (let round = 0; round < 3; round++) {
        c.runUntilAgreement(15_000)
        const before = c.agreement()
        expect(before, `seed ${seed} round ${round}`).toBeDefined()
        c.restart(before?.leader as string, 500)
        expect(c.runUntilAgreement(15_000, a => a.term > (before?.term ?? 0)), `seed ${seed} round ${round}`).toBeDefined()
      }
      expect(c.doubleVotes).toEqual([])
    }
  })
})
