import { describe, expect, it } from 'vitest'
import { aggregate } from '../src/index.ts'
import { updates } from './helpers.ts'

const values = (a: Float32Array): number[] => [...a]

describe('fedavg', () => {
  it('weights by sample count', () => {
    const result = aggregate(updates([[0, 8], [4, 0]], [1, 3]), { rule: 'fedavg' })
    expect(values(result.aggregate)).toEqual([3, 2])
    expect(result.selected).toEqual(['u00', 'u01'])
    expect(result.rule).toBe('fedavg')
    expect([...result.scores.values()].every(Number.isNaN)).toBe(true)
  })

  it('leaves updates with zero samples out of the result and of selected', () => {
    const result = aggregate(updates([[1000], [2], [6]], [0, 1, 1]), { rule: 'fedavg' })
    expect(values(result.aggregate)).toEqual([4])
    expect(result.selected).toEqual(['u01', 'u02'])
  })
})

describe('krum and multi-krum', () => {
  // 2-D points a(0,0) b(2,0) c(0,1) d(5,5), f = 0, so each score sums the n-f-2 = 2 nearest squared distances:
  // a: 1 (c) + 4 (b) = 5; b: 4 + 5 = 9; c: 1 + 5 = 6; d: 34 + 41 = 75.
  const round = updates([[0, 0], [2, 0], [0, 1], [5, 5]])

  it('picks the update with the lowest Krum score', () => {
    const result = aggregate(round, { rule: 'krum' })
    expect(result.selected).toEqual(['u00'])
    expect(values(result.aggregate)).toEqual([0, 0])
    expect(Object.fromEntries(result.scores)).toEqual({ u00: 5, u01: 9, u02: 6, u03: 75 })
  })

  it('returns a copy, not the winning delta itself', () => {
    const result = aggregate(round, { rule: 'krum' })
    expect(result.aggregate).not.toBe(round[0]!.delta)
  })

  it('averages the m best for multi-krum, listing them best first', () => {
    const result = aggregate(round, { rule: 'multi-krum', m: 2 })
    expect(result.selected).toEqual(['u00', 'u02'])
    expect(values(result.aggregate)).toEqual([0, 0.5])
    expect(aggregate(round, { rule: 'multi-krum', m: 3 }).selected).toEqual(['u00', 'u02', 'u01'])
  })

  it('excludes a far outlier with f = 1 (1-D: 0, 1, 2, 10, -40 → scores use 2 neighbours)', () => {
    // 0: 1+4 = 5, 1: 1+1 = 2, 2: 1+4 = 5, 10: 64+81 = 145, -40: 1600+1681 = 3281.
    const result = aggregate(updates([[0], [1], [2], [10], [-40]]), { rule: 'multi-krum', f: 1 })
    expect(Object.fromEntries(result.scores)).toEqual({ u00: 5, u01: 2, u02: 5, u03: 145, u04: 3281 })
    expect(result.selected).toEqual(['u01', 'u00', 'u02', 'u03'])
    expect(values(result.aggregate)).toEqual([13 / 4])
  })

  it('breaks score ties by id', () => {
    // The unit square's corners all score 1 + 1 = 2 (f = 1, 2 neighbours); the far point scores 162 + 181.
    const square = [[1, 1], [0, 0], [1, 0], [0, 1], [10, 10]].map((delta, i) => ({ id: ['d', 'a', 'b', 'c', 'e'][i]!, delta: Float32Array.from(delta), samples: 1 }))
    const result = aggregate(square, { rule: 'krum', f: 1 })
    expect(result.selected).toEqual(['a'])
    expect(Object.fromEntries(result.scores)).toEqual({ a: 2, b: 2, c: 2, d: 2, e: 343 })
    expect(aggregate(square, { rule: 'multi-krum', f: 1, m: 3 }).selected).toEqual(['a', 'b', 'c'])
  })
})

describe('coordinate-wise median', () => {
  it('takes the middle value for odd n and the midpoint of the middle pair for even n', () => {
    expect(values(aggregate(updates([[1, 30], [5, 10], [3, 20]]), { rule: 'median' }).aggregate)).toEqual([3, 20])
    expect(values(aggregate(updates([[1, -4], [2, 0], [10, 0], [20, -1]]), { rule: 'median' }).aggregate)).toEqual([6, -0.5])
  })

  it('is exact on a long column with ties (exercises the quickselect path)', () => {
    // 41 values: 0..19, twenty-one copies of 7 → sorted, index 20 is 7.
    const column = [...Array.from({ length: 20 }, (_, i) => 19 - i), ...Array<number>(21).fill(7)]
    expect(values(aggregate(updates(column.map(v => [v])), { rule: 'median' }).aggregate)).toEqual([7])
    // 40 values 0..39 shuffled deterministically: middle pair 19, 20 → 19.5.
    const forty = Array.from({ length: 40 }, (_, i) => (i * 17) % 40)
    expect(values(aggregate(updates(forty.map(v => [v])), { rule: 'median' }).aggregate)).toEqual([19.5])
  })
})

describe('trimmed mean', () => {
  it('drops trim values at each end and averages the rest', () => {
    expect(values(aggregate(updates([[1], [2], [3], [100]]), { rule: 'trimmed-mean', trim: 1 }).aggregate)).toEqual([2.5])
    expect(values(aggregate(updates([[-50, 0], [1, 4], [2, 4], [3, 1], [100, 4]]), { rule: 'trimmed-mean', f: 1 }).aggregate)).toEqual([2, 3])
    expect(values(aggregate(updates([[1], [2], [6]]), { rule: 'trimmed-mean' }).aggregate)).toEqual([3])
  })

  it('keeps the right number of tied values at the trimming boundaries', () => {
    const trimmed = (column: number[], trim: number): number => aggregate(updates(column.map(v => [v])), { rule: 'trimmed-mean', trim }).aggregate[0]!
    expect(trimmed([1, 2, 2, 2, 3, 7], 1)).toBe(2.25) // keeps 2, 2, 2, 3
    expect(trimmed([2, 7, 2, 5, 6, 2], 1)).toBe(3.75) // keeps 2, 2, 5, 6: one of three 2s is trimmed
    expect(trimmed([7, 1, 7, 3, 7], 1)).toBe(Math.fround(17 / 3)) // keeps 3, 7, 7: one of three 7s is trimmed
    expect(trimmed([5, 1, 5, 5, 9, 1], 2)).toBe(5) // lowest and highest kept are the same value
  })
})

describe('bulyan', () => {
  // n = 7, f = 1: theta = 5 selections by Krum on the remaining set, then beta = 3 values closest to the median.
  // Values 0, 1, 2, 2.5, 4 (u00..u04) and attackers 50 (u05), -50 (u06). Hand-computed Krum rounds:
  //   r=7, 4 neighbours: u00 27.25, u01 13.25, u02 9.25, u03 11, u04 31.25, u05 9077.25, u06 10561.25 → u02
  //   r=6, 3 neighbours: u00 23.25, u01 12.25, u03 10.75, u04 27.25, u05 6773.25, u06 7857.25 → u03
  //   r=5, 2 neighbours: u00 17, u01 10, u04 25, u05 4517, u06 5101 → u01
  //   r=4, 1 neighbour:  u00 16, u04 16, u05 2116, u06 2500 → u00 (tie broken by id)
  //   r=3, 1 neighbour:  u04 2116, u05 2116, u06 2916 → u04 (tie broken by id)
  // Selected values 0, 1, 2, 2.5, 4: median 2; window 2, then 2.5 (0.5 away) over 1, then 1 (1 away) over 4.
  const round = updates([[0], [1], [2], [2.5], [4], [50], [-50]])

  it('selects by iterated Krum and averages the beta values closest to the median', () => {
    const result = aggregate(round, { rule: 'bulyan', f: 1 })
    expect(result.selected).toEqual(['u02', 'u03', 'u01', 'u00', 'u04'])
    expect(Object.fromEntries(result.scores)).toEqual({ u00: 27.25, u01: 13.25, u02: 9.25, u03: 11, u04: 31.25, u05: 9077.25, u06: 10561.25 })
    expect(values(result.aggregate)).toEqual([Math.fround(5.5 / 3)])
  })

  it('breaks a tie at the window edge towards the lower value', () => {
    // The far attackers are never selected, so the selection is 0, 1, 2, 2.5, 3: median 2, then 2.5 (0.5 away),
    // then 1 and 3 are both 1 away and the lower one wins: (1 + 2 + 2.5) / 3, not (2 + 2.5 + 3) / 3.
    const result = aggregate(updates([[0], [1], [2], [2.5], [3], [1000], [-1000]]), { rule: 'bulyan', f: 1 })
    expect(new Set(result.selected)).toEqual(new Set(['u00', 'u01', 'u02', 'u03', 'u04']))
    expect(values(result.aggregate)).toEqual([Math.fround(5.5 / 3)])
  })

  it('equals the plain mean when f = 0', () => {
    expect(values(aggregate(updates([[0, 1], [1, 1], [5, 4]]), { rule: 'bulyan' }).aggregate)).toEqual([2, 2])
  })
})

describe('centered clipping', () => {
  it('clips each difference to the radius around the centre (one iteration)', () => {
    // From 0 with tau = 1: 0.5 stays, 3 becomes 1, -10 becomes -1 → step (0.5 + 1 - 1) / 3.
    const result = aggregate(updates([[0.5], [3], [-10]]), { rule: 'centered-clipping', clipRadius: 1 })
    expect(values(result.aggregate)).toEqual([Math.fround(0.5 / 3)])
    expect(Object.fromEntries(result.scores)).toEqual({ u00: 1, u01: 1 / 3, u02: 0.1 })
    expect(result.selected).toEqual(['u00', 'u01', 'u02'])
  })

  it('iterates from the new centre', () => {
    // Second iteration from v = 1/6: 1/3 stays, 17/6 → 1, -61/6 → -1, so v = 1/6 + (1/3) / 3 = 5/18.
    const result = aggregate(updates([[0.5], [3], [-10]]), { rule: 'centered-clipping', clipRadius: 1, clipIterations: 2 })
    expect(result.aggregate[0]).toBeCloseTo(5 / 18, 7)
  })

  it('starts from the previous aggregate', () => {
    // From 10 every update is more than tau = 1 away below it, so each contributes -1.
    const result = aggregate(updates([[0.5], [3], [-10]]), { rule: 'centered-clipping', clipRadius: 1 }, { previous: Float32Array.of(10) })
    expect(values(result.aggregate)).toEqual([9])
  })

  it('clips by the Euclidean norm of the whole difference', () => {
    // (3, 4) is 5 away from the origin: with tau = 1 it contributes (0.6, 0.8); (0, 0) contributes nothing.
    const result = aggregate(updates([[3, 4], [0, 0]]), { rule: 'centered-clipping', clipRadius: 1 })
    expect(values(result.aggregate)).toEqual([Math.fround(0.3), Math.fround(0.4)])
  })
})

describe('nearest-neighbour mixing', () => {
  it('replaces each update by the mean of its n-f nearest before the rule', () => {
    // 1-D 0, 1, 2, 100 with f = 1: the first three each mix {0, 1, 2} → 1; 100 mixes {1, 2, 100} → 103/3.
    const round = updates([[0], [1], [2], [100]])
    const mixedOutlier = Math.fround(103 / 3)
    const averaged = aggregate(round, { rule: 'fedavg', f: 1, nnm: true })
    expect(values(averaged.aggregate)).toEqual([Math.fround(0.25 + 0.25 + 0.25 + 0.25 * mixedOutlier)])
    // Without mixing the median of 0, 1, 2, 100 is 1.5; after it, of 1, 1, 1, 103/3, it is 1.
    expect(values(aggregate(round, { rule: 'median', f: 1 }).aggregate)).toEqual([1.5])
    expect(values(aggregate(round, { rule: 'median', f: 1, nnm: true }).aggregate)).toEqual([1])
  })
})
