import { describe, expect, it } from 'vitest'
import { DEFAULT_SERVE_BUDGET, PeerBudget } from '../src/rate-limit/peer-budget.ts'

const spec = { requests: { burst: 3, perSecond: 1 }, bytes: { burst: 1000, perSecond: 100 }, maxPeers: 4 }

describe('PeerBudget: what one peer may be served', () => {
  it('admits a burst of requests, then one per refill interval', () => {
    const b = new PeerBudget(spec)
    expect([0, 0, 0, 0].map(() => b.admit('a', 0))).toEqual([true, true, true, false])
    expect(b.admit('a', 999)).toBe(false)
    expect(b.admit('a', 1000)).toBe(true)
    expect(b.admit('a', 1000)).toBe(false)
    // a long pause refills up to the burst, not beyond it
    expect([0, 0, 0, 0].map(() => b.admit('a', 60_000))).toEqual([true, true, true, false])
  })

  it('a reply larger than what is left puts the peer in debt until the refill repays it', () => {
    const b = new PeerBudget(spec)
    expect(b.admit('a', 0)).toBe(true)
    b.charge('a', 1500, 0) // 500 bytes in debt
    expect(b.admit('a', 0)).toBe(false)
    expect(b.admit('a', 4999)).toBe(false) // 499.9 bytes repaid
    expect(b.admit('a', 5001)).toBe(true)
  })

  it('each peer has its own budget', () => {
    const b = new PeerBudget(spec)
    for (let i = 0; i < 3; i++) expect(b.admit('flooder', 0)).toBe(true)
    expect(b.admit('flooder', 0)).toBe(false)
    expect(b.admit('honest', 0)).toBe(true)
  })

  it('tracks at most maxPeers, forgetting the least recently seen', () => {
    const b = new PeerBudget(spec)
    for (const p of ['a', 'b', 'c', 'd']) b.admit(p, 0)
    for (let i = 0; i < 2; i++) b.admit('a', 0) // a has spent all 3 and is now the most recently seen
    b.admit('e', 0)
    expect(b.size).toBe(4)
    // b was the least recently seen and went; a is still held to its spent budget
    expect(b.admit('a', 0)).toBe(false)
  })

  it('a clock that steps back refills nothing', () => {
    const b = new PeerBudget(spec)
    for (let i = 0; i < 3; i++) b.admit('a', 10_000)
    expect(b.admit('a', 5_000)).toBe(false)
    expect(b.admit('a', 10_999)).toBe(false)
    expect(b.admit('a', 11_000)).toBe(true)
  })

  it('refuses a budget that could never admit anything, saying what is wrong', () => {
    expect(() => new PeerBudget({ ...spec, requests: { burst: 0, perSecond: 1 } })).toThrow(/requests needs burst > 0/)
    expect(() => new PeerBudget({ ...spec, bytes: { burst: 10, perSecond: Number.NaN } })).toThrow(/bytes needs/)
    expect(() => new PeerBudget({ ...spec, maxPeers: 0 })).toThrow(/maxPeers/)
  })

  it('the default lets an honest neighbour ask for a whole mnist round and a model at once', () => {
    // 20 mnist updates of about 28 KB deflated (up to 51 KB as int8) and a model of 50,890 float32 weights
    const b = new PeerBudget(DEFAULT_SERVE_BUDGET)
    expect(b.admit('late joiner', 0)).toBe(true)
    b.charge('late joiner', 50_890 * 4, 0)
    for (let i = 0; i < 20; i++) {
      expect(b.admit('late joiner', 0)).toBe(true)
      b.charge('late joiner', 52_000, 0)
    }
  })
})
