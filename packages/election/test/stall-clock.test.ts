import { describe, expect, it } from 'vitest'
import { Election, preferred, StallClock } from '../src/index.ts'
import type { ElectionMessage } from '../src/index.ts'

function manual (): { now: () => number, advance: (ms: number) => void } {
  let t = 1_000
  return { now: () => t, advance: (ms) => { t += ms } }
}

describe('StallClock', () => {
  it('is the base clock while the node ticks on time', () => {
    const base = manual()
    const clock = new StallClock(base, 1_000)
    for (let i = 0; i < 20; i++) {
      clock.tick()
      base.advance(100)
    }
    expect(clock.now()).toBe(base.now())
    expect(clock.stalledMs).toBe(0)
  })

  it('counts a stall for stallMs at most, standing still from then until the next tick, never running backwards', () => {
    const base = manual()
    const clock = new StallClock(base, 1_000)
    clock.tick()
    const start = clock.now()
    const seen: number[] = []
    for (let i = 0; i < 30; i++) {
      base.advance(100)
      seen.push(clock.now())
    }
    // 3 s without a tick: the clock moved 1 s, and stood still for the last 2
    expect(clock.now() - start).toBe(1_000)
    expect(seen.every((t, i) => i === 0 || t >= seen[i - 1]!)).toBe(true)
    expect(clock.tick()).toBe(3_000)
    // the tick keeps the clock where it stood; after it, it runs with the base again
    expect(clock.now() - start).toBe(1_000)
    base.advance(400)
    expect(clock.now() - start).toBe(1_400)
    expect(clock.stalledMs).toBe(2_000)
  })

  it('refuses a stall threshold that is not a positive number', () => {
    expect(() => new StallClock(manual(), 0)).toThrow(/stallMs/)
    expect(() => new StallClock(manual(), Number.NaN)).toThrow(/stallMs/)
  })

  it('leaves nothing out with an infinite threshold', () => {
    const base = manual()
    const clock = new StallClock(base, Number.POSITIVE_INFINITY)
    clock.tick()
    base.advance(5_000)
    expect(clock.tick()).toBe(5_000)
    expect(clock.now()).toBe(base.now())
    expect(clock.stalledMs).toBe(0)
  })

  it('as the lease clock, keeps a follower\'s lease through its own stall: its leader, heard just before, is still its leader on the first tick after', () => {
    // the same follower, once with the base clock and once with the stall clock, stalls 2.5 s (lease 1.5 s)
    const run = (stallTolerant: boolean): { leaderAfterStall: string | undefined, leaderAfterLead: string | undefined } => {
      const base = manual()
      const clock = stallTolerant ? new StallClock(base, 1_000) : undefined
      const follower = new Election({ self: 'b', clock: base, ...(clock !== undefined ? { leaseClock: clock } : {}), random: () => 0.5, warmupMs: 0, pledge: false })
      const tick = (): void => { clock?.tick(); follower.tick() }
      follower.onMembership(['a', 'b', 'c'])
      tick()
      // a leads term 1: b voted for it and saw its Lead
      const votes: ElectionMessage[] = ['a', 'c'].map(from => ({ type: 'vote', term: 1, from, candidate: 'a', electorate: 3 }))
      follower.onMessage({ type: 'claim', term: 1, from: 'a', electorate: 3 })
      for (const v of votes) follower.onMessage(v)
      follower.onMessage({ type: 'lead', term: 1, from: 'a', electorate: 3 })
      expect(follower.leader).toBe('a')
      base.advance(2_500)
      tick()
      const leaderAfterStall = follower.leader
      // the Lead that waited behind the stall
      follower.onMessage({ type: 'lead', term: 1, from: 'a', electorate: 3 })
      return { leaderAfterStall, leaderAfterLead: follower.leader }
    }
    expect(run(false)).toEqual({ leaderAfterStall: undefined, leaderAfterLead: 'a' })
    expect(run(true)).toEqual({ leaderAfterStall: 'a', leaderAfterLead: 'a' })
  })

  it('still finds a leader that stopped leading lapsed, once the follower has run a lease\'s worth of time', () => {
    const base = manual()
    const clock = new StallClock(base, 1_000)
    const follower = new Election({ self: 'b', clock: base, leaseClock: clock, random: () => 0.5, warmupMs: 0, pledge: false })
    const tick = (): void => { clock.tick(); follower.tick() }
    follower.onMembership(['a', 'b', 'c'])
    tick()
    follower.onMessage({ type: 'claim', term: 1, from: 'a', electorate: 3 })
    for (const from of ['a', 'c']) follower.onMessage({ type: 'vote', term: 1, from, candidate: 'a', electorate: 3 })
    follower.onMessage({ type: 'lead', term: 1, from: 'a', electorate: 3 })
    base.advance(2_500)
    tick()
    expect(follower.leader).toBe('a')
    // no Lead comes: 1 s of the stall counted, so the lease (1.5 s) runs out 0.5 s of ticking later
    for (let i = 0; i < 4; i++) { base.advance(100); tick() }
    expect(follower.leader).toBe('a')
    for (let i = 0; i < 2; i++) { base.advance(100); tick() }
    expect(follower.leader).toBeUndefined()
  })

  it('leaves the election\'s own timing to the election clock: the warm-up ends on time while the lease clock stands still', () => {
    const base = manual()
    const lease = new StallClock(base, 500)
    lease.tick() // and never again: from 500 ms on the lease clock stands still
    const members = ['a', 'b', 'c']
    const self = preferred(1, members)!
    const e = new Election({ self, clock: base, leaseClock: lease, random: () => 0.5, warmupMs: 2_000, pledge: false, preVote: false })
    e.onMembership(members)
    base.advance(2_100)
    expect(e.tick().send).toContainEqual({ type: 'claim', term: 1, from: self, electorate: 3 })
    expect(lease.now()).toBe(base.now() - 1_600)
  })
})
