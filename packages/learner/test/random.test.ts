import { describe, expect, it } from 'vitest'
import { gamma, mixSeed, seededRandom, shuffleInPlace, symmetricDirichlet } from '../src/random.ts'

describe('seeded randomness', () => {
  it('repeats for a seed and differs across seeds', () => {
    const a = seededRandom(1)
    const b = seededRandom(1)
    const c = seededRandom(2)
    const xs = Array.from({ length: 5 }, a)
    expect(Array.from({ length: 5 }, b)).toEqual(xs)
    expect(Array.from({ length: 5 }, c)).not.toEqual(xs)
    expect(xs.every(x => x >= 0 && x < 1)).toBe(true)
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1))
    expect(mixSeed(2 ** 40)).not.toBe(mixSeed(0))
    expect(() => mixSeed(0.5)).toThrow(/integers/)
  })

  it('gamma samples have mean = shape, including shape < 1', () => {
    const random = seededRandom(3)
    for (const shape of [0.1, 1, 5]) {
      let sum = 0
      const n = 20_000
      for (let i = 0; i < n; i++) sum += gamma(shape, random)
      expect(sum / n).toBeCloseTo(shape, 1)
    }
    expect(() => gamma(0, random)).toThrow(/shape/)
  })

  it('dirichlet draws sum to 1; small alpha concentrates the mass', () => {
    const random = seededRandom(4)
    const maxShare = (alpha: number): number => {
      let total = 0
      for (let i = 0; i < 200; i++) {
        const p = symmetricDirichlet(10, alpha, random)
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9)
        total += Math.max(...p)
      }
      return total / 200
    }
    expect(maxShare(0.05)).toBeGreaterThan(0.7)
    expect(maxShare(100)).toBeLessThan(0.15)
  })

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i)
    const shuffled = shuffleInPlace([...items], seededRandom(5))
    expect(shuffled).not.toEqual(items)
    expect([...shuffled].sort((a, b) => a - b)).toEqual(items)
  })
})
