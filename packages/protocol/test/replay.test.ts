import { describe, expect, it } from 'vitest'
import { ReplayGuard } from '../src/index.ts'
import { randomInt, seededRandom } from './fixtures.ts'

describe('ReplayGuard', () => {
  it('rejects duplicates', () => {
    const guard = new ReplayGuard()
    expect(guard.check('a', 1)).toBe(true)
    expect(guard.check('a', 1)).toBe(false)
    expect(guard.check('a', 2)).toBe(true)
    expect(guard.check('a', 2)).toBe(false)
    expect(guard.check('a', 1)).toBe(false)
  })

  it('accepts out-of-order messages within the window exactly once', () => {
    const guard = new ReplayGuard({ window: 64 })
    expect(guard.check('a', 10)).toBe(true)
    expect(guard.check('a', 7)).toBe(true)
    expect(guard.check('a', 9)).toBe(true)
    expect(guard.check('a', 7)).toBe(false)
    expect(guard.check('a', 9)).toBe(false)
    expect(guard.check('a', 8)).toBe(true)
    expect(guard.highest('a')).toBe(10)
  })

  it('rejects anything at or below highest - window', () => {
    const guard = new ReplayGuard({ window: 64 })
    expect(guard.check('a', 100)).toBe(true)
    expect(guard.check('a', 36)).toBe(false) // 100 - 64
    expect(guard.check('a', 1)).toBe(false)
    expect(guard.check('a', 37)).toBe(true) // oldest slot still inside the window
  })

  it('forgets slots that slide out of the window (no stale bits after a jump)', () => {
    const guard = new ReplayGuard({ window: 8 })
    for (let s = 1; s <= 8; s++) expect(guard.check('a', s)).toBe(true)
    // seq 12 shares slot (12 mod 8) with seq 4; 10 and 11 with 2 and 3; they must read as unseen
    expect(guard.check('a', 12)).toBe(true)
    expect(guard.check('a', 10)).toBe(true)
    expect(guard.check('a', 11)).toBe(true)
    expect(guard.check('a', 9)).toBe(true)
    expect(guard.check('a', 4)).toBe(false) // now below the window
    // a jump larger than the window clears everything
    expect(guard.check('a', 100)).toBe(true)
    expect(guard.check('a', 99)).toBe(true)
    expect(guard.check('a', 92)).toBe(false)
  })

  it('keeps senders independent', () => {
    const guard = new ReplayGuard()
    expect(guard.check('a', 5)).toBe(true)
    expect(guard.check('b', 5)).toBe(true)
    expect(guard.check('a', 5)).toBe(false)
  })

  it('is bounded: evicts the least recently used sender', () => {
    const guard = new ReplayGuard({ maxSenders: 3 })
    guard.check('a', 1)
    guard.check('b', 1)
    guard.check('c', 1)
    guard.check('a', 2) // touch a: b is now the least recently used
    guard.check('d', 1)
    expect(guard.size).toBe(3)
    expect(guard.highest('b')).toBeUndefined()
    expect(guard.highest('a')).toBe(2)
    expect(guard.highest('c')).toBe(1)
    expect(guard.highest('d')).toBe(1)
    // the evicted sender's history is gone (documented: freshness bounds the exposure)
    expect(guard.check('b', 1)).toBe(true)
  })

  it('matches a reference model on random streams, for windows that are and are not multiples of 32', () => {
    for (const window of [1, 5, 32, 64, 100]) {
      const random = seededRandom(window)
      const guard = new ReplayGuard({ window })
      const seen = new Set<number>()
      let highest = 0
      const mismatches: string[] = []
      let accepted = 0
      for (let i = 0; i < 20_000; i++) {
        // mostly near the head, sometimes far behind, sometimes a big jump ahead
        const r = random()
        const seq = Math.max(1, r < 0.05 ? highest + randomInt(random, 1, 3 * window) : highest - randomInt(random, -3, window + 3))
        const expected = seq > highest || (seq > highest - window && !seen.has(seq))
        // plain comparisons in the loop (expect() per step would dominate the run time)
        if (guard.wouldAccept('p', seq) !== expected || guard.check('p', seq) !== expected) {
          mismatches.push(`window ${window}, seq ${seq}, highest ${highest}: expected ${expected}`)
        }
        if (expected) { seen.add(seq); highest = Math.max(highest, seq); accepted++ }
      }
      expect(mismatches.slice(0, 5)).toEqual([])
      expect(accepted).toBeGreaterThan(1000) // both outcomes are exercised
      expect(accepted).toBeLessThan(19_000)
    }
  })

  it('lets a restarted sender (seq from 1 again, later timestamps) back in, without reopening its old messages', () => {
    const guard = new ReplayGuard({ window: 64 })
    for (let seq = 1; seq <= 200; seq++) expect(guard.check('a', seq, 1000 + seq)).toBe(true)
    // a replay of an old message keeps its old timestamp
    expect(guard.check('a', 100, 1100)).toBe(false)
    expect(guard.check('a', 3, 1003)).toBe(false)
    // the sender restarts: low seq, later timestamp
    expect(guard.check('a', 1, 5000)).toBe(true)
    expect(guard.check('a', 1, 5000)).toBe(false) // and that message is itself protected
    expect(guard.check('a', 2, 5001)).toBe(true)
    // messages of the previous run cannot be replayed into the new window, even with seq above it
    expect(guard.wouldAccept('a', 150, 1150)).toBe(false)
    expect(guard.check('a', 150, 1150)).toBe(false)
    expect(guard.check('a', 200, 1200)).toBe(false)
    expect(guard.check('a', 3, 5002)).toBe(true)
    // without timestamps, seq alone decides: an old seq is a replay
    const plain = new ReplayGuard({ window: 64 })
    for (let seq = 1; seq <= 200; seq++) plain.check('a', seq)
    expect(plain.check('a', 1)).toBe(false)
  })

  it('validates its options', () => {
    expect(() => new ReplayGuard({ window: 0 })).toThrow(/window/)
    expect(() => new ReplayGuard({ maxSenders: 0 })).toThrow(/maxSenders/)
  })
})
