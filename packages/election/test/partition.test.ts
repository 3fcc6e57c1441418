import { describe, expect, it, vi } from 'vitest'
import { outranks } from '../src/index.ts'
import { Cluster } from './sim/cluster.ts'

// Simulated runs take seconds of CPU; allow far more wall time on a busy machine. Only simulated (deterministic) time
// is ever asserted, never wall-clock time.
vi.setConfig({ testTimeout: 120_000 })

const link = { loss: 0.05, delayMs: [10, 100] as const, duplicate: 0.02 }

function settle (c: Cluster): { leader: string, term: number } {
  expect(c.runUntilAgreement(15_000)).toBeDefined()
  c.runFor(1_000)
  return c.agreement() as { leader: string, term: number }
}

/** Split into the side that holds `leader` and the rest; `leaderSide` nodes go with the leader. */
function sides (c: Cluster, leader: string, leaderSide: number): [string[], string[]] {
  const others = c.ids.filter(id => id !== leader)
  return [[leader, ...others.slice(0, leaderSide - 1)], others.slice(leaderSide - 1)]
}

describe('partitions (memberTtlMs 15 s: a quorum of the known membership)', () => {
  it('a minority keeps no leader, the majority elects one; after healing there is one, and the old one is fenced', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const c = new Cluster({ size: 10, seed, link })
      const old = settle(c)
      const [minority, majority] = sides(c, old.leader, 3)
      c.partition([minority, majority])
      expect(c.runUntilAgreement(10_000, a => a.term > old.term, () => majority), `seed ${seed}`).toBeDefined()
      // The cut-off leader may not have noticed yet (it steps down when its failure detector loses the majority),
      // but the majority is already fenced against it.
      for (const id of majority) expect(c.election(id).accepts(old.term, old.leader)).toBe(false)
      c.runFor(4_000)
      expect(c.election(old.leader).role).toBe('follower')
      for (const id of minority) expect(c.election(id).leader, `seed ${seed} ${id}`).toBeUndefined()
      const winner = c.agreement(majority) as { leader: string, term: number }
      c.heal()
      expect(c.runUntilAgreement(10_000, a => a.leader === winner.leader), `seed ${seed}`).toBeDefined()
      expect(c.currentLeaders()).toEqual([winner.leader])
      for (const id of c.ids) expect(c.election(id).accepts(old.term, old.leader)).toBe(false)
      expect(c.splitTerms()).toEqual({ covered: [], uncovered: [] })
    }
  })

  it('two halves: nobody leads while split (no majority anywhere); after healing, exactly one leader again', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const c = new Cluster({ size: 10, seed, link })
      const old = settle(c)
      const [a, b] = sides(c, old.leader, 5)
      c.partition([a, b])
      c.runFor(8_000)
      expect(c.currentLeaders(), `seed ${seed}`).toEqual([])
      expect(c.events(old.leader)).toContainEqual({ type: 'stepped-down', term: old.term, reason: 'lost-quorum' })
      c.heal()
      expect(c.runUntilAgreement(15_000), `seed ${seed}`).toBeDefined()
      expect(c.currentLeaders()).toHaveLength(1)
      expect(c.agreement()?.term).toBeGreaterThan(old.term)
      expect(c.splitTerms()).toEqual({ covered: [], uncovered: [] })
    }
  })

  it('two halves split for longer than memberTtlMs each elect a leader; after healing one that outranks both leads', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const c = new Cluster({ size: 10, seed, link })
      const old = settle(c)
      const [a, b] = sides(c, old.leader, 5)
      c.partition([a, b])
      // Each side forgets the other 15 s after its failure detector dropped it, then elects among itself.
      expect(c.runUntilAgreement(30_000, x => x.term > old.term, () => a), `seed ${seed}`).toBeDefined()
      expect(c.runUntilAgreement(30_000, x => x.term > old.term, () => b), `seed ${seed}`).toBeDefined()
      const la = c.agreement(a) as { leader: string, term: number }
      const lb = c.agreement(b) as { leader: string, term: number }
      expect(c.currentLeaders().sort()).toEqual([la.leader, lb.leader].sort())
      const win = outranks(la.term, la.leader, lb.term, lb.leader) ? la : lb
      c.heal()
      // Everyone ends on one leadership: the better of the two, or (seeds 4 and 5 here) a newer one. A side that learns
      // of the better one from a `fence` proof before a Lead of it arrives holds no lease for it, and still counts only
      // itself (its view has not yet seen the other side's heartbeats): it elects the next term at once.
      expect(c.runUntilAgreement(15_000), `seed ${seed}`).toBeDefined()
      const final = c.agreement() as { leader: string, term: number }
      expect(final.term === win.term && final.leader === win.leader ? true : outranks(final.term, final.leader, win.term, win.leader), `seed ${seed}`).toBe(true)
      expect(c.currentLeaders()).toEqual([final.leader])
      for (const before of [la, lb]) {
        if (before.term === final.term && before.leader === final.leader) continue
        expect(c.events(before.leader)).toContainEqual({ type: 'stepped-down', term: before.term, reason: 'superseded' })
        for (const id of c.ids) expect(c.election(id).accepts(before.term, before.leader)).toBe(false)
      }
      for (const id of c.ids) expect(c.election(id).accepts(final.term, final.leader)).toBe(true)
      expect(c.regressions).toEqual([])
    }
  })
})

describe('partitions with memberTtlMs 0 (a quorum of the alive view)', () => {
  it('both halves elect within seconds; after healing exactly one leader remains', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const c = new Cluster({ size: 10, seed, link, election: { memberTtlMs: 0 } })
      const old = settle(c)
      const [a, b] = sides(c, old.leader, 5)
      c.partition([a, b])
      const other = c.runUntilAgreement(10_000, x => x.term > old.term, () => b)
      expect(other, `seed ${seed}`).toBeDefined()
      expect(other as number).toBeLessThan(8_000)
      c.runUntilAgreement(10_000, () => true, () => a)
      c.heal()
      expect(c.runUntilAgreement(15_000), `seed ${seed}`).toBeDefined()
      expect(c.currentLeaders()).toHaveLength(1)
      expect(c.regressions).toEqual([])
    }
  })
})
