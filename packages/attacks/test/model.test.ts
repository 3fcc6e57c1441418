import { aggregate } from '@fedmesh/aggregation'
import { describe, expect, it } from 'vitest'
import {
  AttackInputError, MODEL_ATTACK_NAMES, alie, alieZ, gaussianNoise, inverseNormalCdf, ipm, nonFinite,
  poisonDelta, signFlip
} from '../src/index.ts'
import type { AttackerView } from '../src/index.ts'
import { dot, seededRandom } from './helpers.ts'

const f32 = (values: number[]): Float32Array => Float32Array.from(values)

function view (partial: Partial<AttackerView> & { dimension: number }): AttackerView {
  return { benign: [], n: 10, f: 2, random: seededRandom(1), ...partial }
}

describe('sign flip', () => {
  it('sends -scale times the own delta', () => {
    expect([...signFlip(view({ own: f32([1, -2, 0.5]), dimension: 3 }))]).toEqual([-1, 2, -0.5])
    expect([...signFlip(view({ own: f32([1, -2, 0.5]), dimension: 3 }), 2)]).toEqual([-2, 4, -1])
  })

  it('needs the own delta and a positive scale', () => {
    expect(() => signFlip(view({ dimension: 3 }))).toThrow(AttackInputError)
    expect(() => signFlip(view({ own: f32([1, 2, 3]), dimension: 3 }), -1)).toThrow(/scale/)
    expect(() => signFlip(view({ own: f32([1, 2]), dimension: 3 }))).toThrow(/own delta has 2 values, the model has 3/)
  })
})

describe('gaussian noise', () => {
  it('draws N(0, sigma^2) coordinates, reproducibly from the seed', () => {
    const a = gaussianNoise(view({ dimension: 20_000, random: seededRandom(7) }), 0.5)
    const b = gaussianNoise(view({ dimension: 20_000, random: seededRandom(7) }), 0.5)
    expect(a).toEqual(b)
    const mean = a.reduce((s, v) => s + v, 0) / a.length
    const std = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length)
    // 20,000 draws: standard errors 0.0035 (mean) and 0.0025 (deviation)
    expect(Math.abs(mean)).toBeLessThan(0.02)
    expect(Math.abs(std - 0.5)).toBeLessThan(0.015)
    expect(gaussianNoise(view({ dimension: 100, random: seededRandom(8) }), 0.5)).not.toEqual(a.subarray(0, 100))
  })
})

describe('ALIE', () => {
  it('chooses z = Phi^-1((n - s) / n) with s = floor(n/2 + 1) - f (Baruch et al. 2019)', () => {
    // n=50, f=12: s = 26 - 12 = 14, Phi^-1(36/50 = 0.72) = 0.5828
    expect(alieZ(50, 12)).toBeCloseTo(0.582842, 5)
    // n=20, f=4: s = 11 - 4 = 7, Phi^-1(13/20 = 0.65) = 0.3853
    expect(alieZ(20, 4)).toBeCloseTo(0.385320, 5)
    // n=10, f=1: s = 5, Phi^-1(0.5) = 0
    expect(alieZ(10, 1)).toBeCloseTo(0, 9)
    expect(() => alieZ(10, 6)).toThrow(/majority/)
  })

  it('inverts the normal CDF', () => {
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959964, 5)
    expect(inverseNormalCdf(0.5)).toBe(0)
    expect(inverseNormalCdf(1e-5)).toBeCloseTo(-4.264891, 5)
    expect(inverseNormalCdf(0.3)).toBeCloseTo(-inverseNormalCdf(0.7), 12)
  })

  it('sends mean - z * std of the benign deltas (population std)', () => {
    // benign [1, 2] and [3, 6]: mean [2, 4], std [1, 2]
    const benign = [f32([1, 2]), f32([3, 6])]
    expect([...alie(view({ benign, dimension: 2 }), 1)]).toEqual([1, 2])
    expect([...alie(view({ benign, dimension: 2 }), 0.5)]).toEqual([1.5, 3])
    const z = alieZ(20, 4)
    const out = alie(view({ benign, dimension: 2, n: 20, f: 4 }))
    expect(out[0]).toBeCloseTo(2 - z, 6)
    expect(out[1]).toBeCloseTo(4 - 2 * z, 6)
  })

  it('needs two benign deltas to estimate a spread', () => {
    expect(() => alie(view({ benign: [f32([1])], dimension: 1 }))).toThrow(/at least 2 benign/)
  })
})

describe('IPM', () => {
  it('sends -epsilon times the benign mean: opposite to the honest direction', () => {
    const benign = [f32([1, 2]), f32([3, 6])]
    expect([...ipm(view({ benign, dimension: 2 }), 0.5)]).toEqual([-1, -2])
    const out = ipm(view({ benign, dimension: 2 }))
    expect(out[0]).toBeCloseTo(-0.2, 6)
    expect(dot(out, [2, 4])).toBeLessThan(0)
  })

  it('turns a mean against the honest direction exactly when epsilon > (n - f) / f', () => {
    const honestVector = f32([1, -2, 3])
    const n = 20
    const f = 4
    const benign = Array.from({ length: n - f }, () => honestVector)
    const meanWith = (epsilon: number): Float32Array => {
      const bad = ipm(view({ benign, dimension: 3, n, f }), epsilon)
      const updates = [...benign, ...Array.from({ length: f }, () => bad)].map((delta, i) => ({ id: `u${i}`, delta, samples: 1 }))
      return aggregate(updates, { rule: 'fedavg' }).aggregate
    }
    // (n - f) / f = 4
    expect(dot(meanWith(3.9), honestVector)).toBeGreaterThan(0)
    expect(dot(meanWith(4.1), honestVector)).toBeLessThan(0)
  })
})

describe('NaN / Inf deltas', () => {
  it('poison one random coordinate of the own delta, or every one', () => {
    const own = f32([1, 2, 3, 4])
    const out = nonFinite(view({ own, dimension: 4 }), Number.NaN)
    expect(out.filter(v => Number.isNaN(v))).toHaveLength(1)
    expect(out.filter(v => !Number.isNaN(v)).length).toBe(3)
    expect([...own]).toEqual([1, 2, 3, 4])
    expect([...nonFinite(view({ dimension: 2 }), Number.POSITIVE_INFINITY, true)]).toEqual([Infinity, Infinity])
    expect(() => nonFinite(view({ dimension: 2 }), 1)).toThrow(/NaN or ±Infinity/)
  })

  it('are refused by the aggregation rules, naming the update', () => {
    const benign = [f32([1, 1]), f32([1, 2]), f32([2, 1]), f32([2, 2])]
    const bad = poisonDelta('nan', view({ own: f32([1, 1]), dimension: 2 }))
    const updates = [...benign, bad].map((delta, i) => ({ id: `u${i}`, delta, samples: 1 }))
    expect(() => aggregate(updates, { rule: 'median', f: 1 })).toThrow(expect.objectContaining({ name: 'AggregationInputError', updateId: 'u4' }))
  })
})

describe('poisonDelta', () => {
  it('dispatches every model attack and checks the view', () => {
    const own = f32([1, 2, 3])
    const benign = [f32([1, 2, 3]), f32([3, 2, 1])]
    for (const attack of MODEL_ATTACK_NAMES) {
      const out = poisonDelta(attack, view({ own, benign, dimension: 3, random: seededRandom(3) }))
      expect(out).toHaveLength(3)
    }
    expect([...poisonDelta('sign-flip', view({ own, dimension: 3 }), { signFlipScale: 5 })]).toEqual([-5, -10, -15])
    expect(() => poisonDelta('alie', view({ benign, dimension: 3, f: 0 }))).toThrow(/f must be an integer in \[1, n=10\]/)
  })
})
