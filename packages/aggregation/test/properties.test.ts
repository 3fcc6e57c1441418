import { describe, expect, it } from 'vitest'
import { aggregate, maxTolerableByzantine, pairwiseSquaredDistances } from '../src/index.ts'
import type { AggregatorSpec, ClientUpdate, RuleName } from '../src/index.ts'
import { wasmSimdAvailable } from '../src/distances/wasm-simd-kernel.ts'
import { coordinateRange, gaussian, randomVectors, sameBits, seededRandom, shuffled } from './helpers.ts'

const TRIALS = 40

function specsFor (f: number): AggregatorSpec[] {
  const base: AggregatorSpec[] = [
    { rule: 'fedavg' },
    { rule: 'krum', f },
    { rule: 'multi-krum', f },
    { rule: 'median', f },
    { rule: 'trimmed-mean', f },
    { rule: 'bulyan', f },
    { rule: 'centered-clipping', f, clipRadius: 0.7, clipIterations: 3 }
  ]
  return [...base, ...base.map(spec => ({ ...spec, f, nnm: true }))]
}

/** A round with awkward features: random ids, duplicate vectors (distance ties), repeated values, -0 and +0. */
function awkwardRound (random: () => number, n: number, dimension: number): ClientUpdate[] {
  const vectors = randomVectors(n, dimension, random, 3)
  vectors[1] = vectors[0]!.slice()
  for (const v of vectors) {
    v[0] = Math.round(v[0]! * 2) / 2
    v[1] = random() < 0.5 ? -0 : 0
  }
  return vectors.map(delta => ({ id: Math.floor(random() * 1e9).toString(36), delta, samples: 1 + Math.floor(random() * 50) }))
}

describe('determinism', () => {
  it('gives bit-identical results for every rule whatever the input order', () => {
    const random = seededRandom(11)
    for (let trial = 0; trial < 6; trial++) {
      const round = awkwardRound(random, 15, 1 + Math.floor(random() * 70))
      for (const spec of specsFor(3)) {
        const reference = aggregate(round, spec)
        for (let s = 0; s < 4; s++) {
          const result = aggregate(shuffled(round, random), spec)
          expect(sameBits(result.aggregate, reference.aggregate), `${JSON.stringify(spec)}`).toBe(true)
          expect(result.selected).toEqual(reference.selected)
          expect([...result.scores]).toEqual([...reference.scores])
        }
      }
    }
  })

  it.runIf(wasmSimdAvailable())('gives bit-identical results with the wasm-simd and js distance kernels', () => {
    const random = seededRandom(12)
    for (let trial = 0; trial < 4; trial++) {
      const round = awkwardRound(random, 19, 600 + Math.floor(random() * 600))
      for (const spec of specsFor(4).filter(s => ['krum', 'multi-krum', 'bulyan'].includes(s.rule) || s.nnm === true)) {
        const wasm = aggregate(round, spec, { kernel: 'wasm-simd' })
        const js = aggregate(round, spec, { kernel: 'js' })
        expect(sameBits(wasm.aggregate, js.aggregate), JSON.stringify(spec)).toBe(true)
        expect([...wasm.scores]).toEqual([...js.scores])
      }
    }
  })
})

type Attack = 'huge' | 'sign-flip' | 'colluding-far' | 'random-far' | 'just-outside'
const FAR_ATTACKS: Attack[] = ['huge', 'sign-flip', 'colluding-far', 'random-far']
const ALL_ATTACKS: Attack[] = [...FAR_ATTACKS, 'just-outside']

interface Scenario {
  round: ClientUpdate[]
  honest: Float32Array[]
  honestIds: Set<string>
  f: number
}

/** n-f honest updates clustered around a centre whose coordinates are 1-5 away from 0, and f Byzantine ones. */
function scenario (random: () => number, rule: RuleName, attack: Attack): Scenario {
  const n = 7 + Math.floor(random() * 24)
  const f = Math.floor(random() * (maxTolerableByzantine(rule, n) + 1))
  const dimension = 1 + Math.floor(random() * 40)
  const sigma = 0.05 + random() * 0.45
  const centre = Array.from({ length: dimension }, () => (1 + 4 * random()) * (random() < 0.5 ? -1 : 1))
  const honest = Array.from({ length: n - f }, () => Float32Array.from(centre, c => c + sigma * gaussian(random)))
  const { max } = coordinateRange(honest)
  const far = Float32Array.from(centre, () => 1e4 * (random() < 0.5 ? -1 : 1))
  const byzantine = Array.from({ length: f }, () => {
    switch (attack) {
      case 'huge': return Float32Array.from(centre, () => 1e30 * (random() * 2 - 1))
      case 'sign-flip': return Float32Array.from(centre, c => -10 * c)
      case 'colluding-far': return far.slice()
      case 'random-far': return Float32Array.from(centre, c => c + 1e4 * gaussian(random))
      case 'just-outside': return Float32Array.from(max, m => m + 1e-3)
    }
  })
  // Interleave ids so Byzantine updates are not simply the last ones in id order.
  const all = shuffled([...honest.map(delta => ({ delta, honest: true })), ...byzantine.map(delta => ({ delta, honest: false }))], random)
  const round = all.map(({ delta }, i) => ({ id: `c${String(i).padStart(2, '0')}`, delta, samples: 10 }))
  return { round, honest, honestIds: new Set(round.filter((_, i) => all[i]!.honest).map(u => u.id)), f }
}

function expectWithinHonestRange (aggregateVector: Float32Array, honest: Float32Array[], label: string): void {
  const { min, max } = coordinateRange(honest)
  for (let k = 0; k < aggregateVector.length; k++) {
    expect(aggregateVector[k]!, `${label} coordinate ${k}`).toBeGreaterThanOrEqual(min[k]!)
    expect(aggregateVector[k]!, `${label} coordinate ${k}`).toBeLessThanOrEqual(max[k]!)
  }
}

describe('robustness with f Byzantine updates (seeded trials)', () => {
  it('median and trimmed mean stay within the honest per-coordinate range under every attack', () => {
    const random = seededRandom(21)
    for (let trial = 0; trial < TRIALS; trial++) {
      for (const rule of ['median', 'trimmed-mean'] as const) {
        const attack = ALL_ATTACKS[trial % ALL_ATTACKS.length]!
        const { round, honest, f } = scenario(random, rule, attack)
        expectWithinHonestRange(aggregate(round, { rule, f }).aggregate, honest, `${rule} ${attack} trial ${trial}`)
      }
    }
  })

  it('Krum picks an honest update and Multi-Krum (m = n-f) exactly the honest ones against far attackers', () => {
    const random = seededRandom(22)
    for (let trial = 0; trial < TRIALS; trial++) {
      const attack = FAR_ATTACKS[trial % FAR_ATTACKS.length]!
      const { round, honestIds, f } = scenario(random, 'krum', attack)
      const krum = aggregate(round, { rule: 'krum', f })
      expect(honestIds.has(krum.selected[0]!), `krum ${attack} trial ${trial}`).toBe(true)
      const multi = aggregate(round, { rule: 'multi-krum', f })
      expect(new Set(multi.selected), `multi-krum ${attack} trial ${trial}`).toEqual(honestIds)
    }
  })

  it('Bulyan stays within the honest per-coordinate range against far attackers', () => {
    const random = seededRandom(23)
    for (let trial = 0; trial < TRIALS; trial++) {
      const attack = FAR_ATTACKS[trial % FAR_ATTACKS.length]!
      const { round, honest, f } = scenario(random, 'bulyan', attack)
      expectWithinHonestRange(aggregate(round, { rule: 'bulyan', f }).aggregate, honest, `bulyan ${attack} trial ${trial}`)
    }
  })

  it('centered clipping moves at most clipRadius × clipIterations from the centre under every attack', () => {
    const random = seededRandom(24)
    for (let trial = 0; trial < TRIALS; trial++) {
      const attack = ALL_ATTACKS[trial % ALL_ATTACKS.length]!
      const { round, f } = scenario(random, 'centered-clipping', attack)
      const dimension = round[0]!.delta.length
      const previous = Float32Array.from({ length: dimension }, () => gaussian(random))
      const clipRadius = 0.01 + random()
      const clipIterations = 1 + Math.floor(random() * 5)
      const result = aggregate(round, { rule: 'centered-clipping', f, clipRadius, clipIterations }, { previous })
      let moved = 0
      let scale = 0
      for (let k = 0; k < dimension; k++) {
        moved += (result.aggregate[k]! - previous[k]!) ** 2
        scale += result.aggregate[k]! ** 2
      }
      // Allowance for the final rounding to float32 (relative 2^-24 per coordinate).
      const allowance = clipRadius * clipIterations * 1e-9 + Math.sqrt(scale) * 2 ** -23
      expect(Math.sqrt(moved), `${attack} trial ${trial}`).toBeLessThanOrEqual(clipRadius * clipIterations + allowance)
      for (const factor of result.scores.values()) {
        expect(factor).toBeGreaterThan(0)
        expect(factor).toBeLessThanOrEqual(1)
      }
    }
  })
})

describe('other properties (seeded trials)', () => {
  it('Krum scores equal the sum of the n-f-2 smallest naive squared distances, and the pick has the lowest', () => {
    const random = seededRandom(31)
    for (let trial = 0; trial < TRIALS; trial++) {
      const n = 3 + Math.floor(random() * 20)
      const f = Math.floor(random() * (maxTolerableByzantine('krum', n) + 1))
      const round = randomVectors(n, 1 + Math.floor(random() * 30), random).map((delta, i) => ({ id: `p${i}`, delta, samples: 1 }))
      const result = aggregate(round, { rule: 'krum', f })
      for (const { id, delta } of round) {
        const distances = round.filter(other => other.id !== id).map(other => delta.reduce((s, x, k) => s + (x - other.delta[k]!) ** 2, 0))
        const expected = distances.sort((a, b) => a - b).slice(0, n - f - 2).reduce((s, x) => s + x, 0)
        expect(result.scores.get(id)).toBeCloseTo(expected, 10)
      }
      expect(result.scores.get(result.selected[0]!)).toBe(Math.min(...result.scores.values()))
    }
  })

  it('FedAvg with integer sample counts equals the plain mean of each update repeated samples times', () => {
    const random = seededRandom(32)
    for (let trial = 0; trial < TRIALS; trial++) {
      const n = 1 + Math.floor(random() * 8)
      const vectors = randomVectors(n, 1 + Math.floor(random() * 10), random, 5)
      const samples = vectors.map(() => Math.floor(random() * 6))
      if (!samples.some(s => s > 0)) samples[0] = 1
      const result = aggregate(vectors.map((delta, i) => ({ id: `p${i}`, delta, samples: samples[i]! })), { rule: 'fedavg' })
      const repeated = vectors.flatMap((v, i) => Array<Float32Array>(samples[i]!).fill(v))
      for (let k = 0; k < vectors[0]!.length; k++) {
        const mean = repeated.reduce((s, v) => s + v[k]!, 0) / repeated.length
        expect(result.aggregate[k]).toBeCloseTo(mean, 5)
      }
    }
  })

  it('FedAvg and Multi-Krum sum in id order exactly like a one-vector-at-a-time loop', () => {
    const random = seededRandom(38)
    for (let trial = 0; trial < TRIALS; trial++) {
      const n = 3 + Math.floor(random() * 14)
      const vectors = randomVectors(n, 1 + Math.floor(random() * 9), random, 100).map(v => v.map(x => x * 10 ** Math.floor(random() * 6)))
      const samples = vectors.map(() => 1 + Math.floor(random() * 100))
      const round = vectors.map((delta, i) => ({ id: `p${String(i).padStart(2, '0')}`, delta, samples: samples[i]! }))
      const total = samples.reduce((s, x) => s + x, 0)
      const fedavg = aggregate(shuffled(round, random), { rule: 'fedavg' }).aggregate
      const multi = aggregate(shuffled(round, random), { rule: 'multi-krum', m: n })
      for (let k = 0; k < fedavg.length; k++) {
        let weighted = 0
        let plain = 0
        for (let i = 0; i < n; i++) {
          weighted += (samples[i]! / total) * vectors[i]![k]!
          plain += vectors[i]![k]!
        }
        expect(fedavg[k]).toBe(Math.fround(weighted))
        expect(multi.aggregate[k]).toBe(Math.fround(plain / n))
      }
    }
  })

  it('trimmed mean with trim = (n-1)/2 is the median, and with trim = 0 the mean', () => {
    const random = seededRandom(33)
    for (let trial = 0; trial < TRIALS; trial++) {
      const n = 1 + 2 * Math.floor(random() * 12)
      const round = randomVectors(n, 1 + Math.floor(random() * 20), random).map((delta, i) => ({ id: `p${i}`, delta, samples: 1 }))
      const median = aggregate(round, { rule: 'median' }).aggregate
      expect(sameBits(aggregate(round, { rule: 'trimmed-mean', trim: (n - 1) / 2 }).aggregate, median)).toBe(true)
      const mean = aggregate(round, { rule: 'trimmed-mean', trim: 0 }).aggregate
      const fedavg = aggregate(round, { rule: 'fedavg' }).aggregate
      for (let k = 0; k < mean.length; k++) expect(mean[k]).toBeCloseTo(fedavg[k]!, 6)
    }
  })

  it('trimmed mean equals the sorted-order definition on columns full of ties', () => {
    const random = seededRandom(37)
    for (let trial = 0; trial < TRIALS; trial++) {
      const n = 1 + Math.floor(random() * 30)
      const trim = Math.floor(random() * Math.floor((n + 1) / 2))
      // Small integers: many ties at the trimming boundaries, and every sum is exact, so the order of additions
      // cannot hide a wrong choice of kept values.
      const round = Array.from({ length: n }, (_, i) => ({ id: `p${i}`, delta: Float32Array.from({ length: 12 }, () => Math.floor(random() * 4)), samples: 1 }))
      const result = aggregate(round, { rule: 'trimmed-mean', trim })
      for (let k = 0; k < 12; k++) {
        const sorted = round.map(u => u.delta[k]!).sort((a, b) => a - b).slice(trim, n - trim)
        expect(result.aggregate[k]).toBe(Math.fround(sorted.reduce((s, x) => s + x, 0) / sorted.length))
      }
    }
  })

  it('Bulyan stays within the range of the updates it selected, and selects n-2f of them', () => {
    const random = seededRandom(34)
    for (let trial = 0; trial < TRIALS; trial++) {
      const n = 3 + Math.floor(random() * 25)
      const f = Math.floor(random() * (maxTolerableByzantine('bulyan', n) + 1))
      const round = randomVectors(n, 1 + Math.floor(random() * 20), random, 10).map((delta, i) => ({ id: `p${i}`, delta, samples: 1 }))
      const result = aggregate(round, { rule: 'bulyan', f })
      expect(new Set(result.selected).size).toBe(n - 2 * f)
      const selected = round.filter(u => result.selected.includes(u.id)).map(u => u.delta)
      expectWithinHonestRange(result.aggregate, selected, `trial ${trial}`)
    }
  })

  it('nearest-neighbour mixing with f = 0 turns every update into the mean', () => {
    const random = seededRandom(35)
    const round = randomVectors(6, 9, random).map((delta, i) => ({ id: `p${i}`, delta, samples: 1 }))
    const median = aggregate(round, { rule: 'median', nnm: true }).aggregate
    const mean = aggregate(round, { rule: 'fedavg' }).aggregate
    for (let k = 0; k < mean.length; k++) expect(median[k]).toBeCloseTo(mean[k]!, 6)
  })

  it('pairwise distances are invariant to translating every vector (up to rounding)', () => {
    const random = seededRandom(36)
    const vectors = randomVectors(8, 50, random)
    const shifted = vectors.map(v => v.map(x => x + 0.5))
    const a = pairwiseSquaredDistances(vectors)
    const b = pairwiseSquaredDistances(shifted)
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 5)
  })
})
