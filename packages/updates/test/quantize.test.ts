import { describe, expect, it } from 'vitest'
import {
  decodeModelUpdate, dequantize, encodeModelUpdate, ErrorFeedback, flattenTensors, int8Scale, quantizationError,
  quantizeDelta, topkCount, topkIndices, unflattenTensors
} from '../src/index.ts'
import type { Int8Tensor, Int8TopkTensor, Scheme, Tensor } from '../src/index.ts'
import { ALICE, gaussian, makeDelta, seededRandom, SHAPES } from './helpers.ts'

const header = { session: 's', round: 1, term: 1, baseVersion: 0, samples: 10, sender: ALICE }

describe('quantizeDelta round trips', () => {
  for (const scheme of ['float32', 'int8', 'int8-topk'] as Scheme[]) {
    it(`${scheme}: encode → decode → dequantize gives what dequantize gave before the wire`, () => {
      const delta = makeDelta(SHAPES, seededRandom(11))
      const q = quantizeDelta(delta, { scheme, topkFraction: 0.2 })
      const decoded = decodeModelUpdate(encodeModelUpdate({ ...header, ...q }))
      expect(decoded.ok).toBe(true)
      if (!decoded.ok) return
      expect(decoded.value.tensors).toEqual(q.tensors)
      const before = dequantize(q)
      const after = dequantize(decoded.value)
      expect(after.map(t => [t.name, t.shape])).toEqual(SHAPES.map(s => [s.name, s.shape]))
      after.forEach((t, i) => expect(t.data).toEqual((before[i] as Tensor).data))
      if (scheme === 'float32') after.forEach((t, i) => expect(t.data).toEqual((delta[i] as Tensor).data))
    })
  }

  it('does not alias the input, so a later change to the delta does not change what is sent', () => {
    const delta = makeDelta(SHAPES, seededRandom(3))
    const q = quantizeDelta(delta, { scheme: 'float32' })
    ;(delta[0] as Tensor).data[0] = 42
    expect(dequantize(q)[0]?.data[0]).not.toBe(42)
  })

  it('handles scalars (shape []) and all-zero tensors', () => {
    const delta: Tensor[] = [
      { name: 'scalar', shape: [], data: Float32Array.of(-0.25) },
      { name: 'zeros', shape: [3], data: new Float32Array(3) }
    ]
    for (const scheme of ['int8', 'int8-topk'] as Scheme[]) {
      const back = dequantize(quantizeDelta(delta, { scheme, topkFraction: 1 }))
      expect(Array.from(back[0]?.data ?? [])).toEqual([-0.25])
      expect(Array.from(back[1]?.data ?? [])).toEqual([0, 0, 0])
    }
  })

  it('refuses non-finite values, wrong lengths and bad options with a message naming the problem', () => {
    const bad = makeDelta(SHAPES, seededRandom(1))
    ;(bad[1] as Tensor).data[5] = Number.NaN
    expect(() => quantizeDelta(bad, { scheme: 'int8' })).toThrow(/dense1\/bias.*index 5/)
    const short: Tensor[] = [{ name: 'w', shape: [2, 3], data: new Float32Array(5) }]
    expect(() => quantizeDelta(short, { scheme: 'int8' })).toThrow(/6 elements but data has 5/)
    const ok = makeDelta(SHAPES, seededRandom(1))
    expect(() => quantizeDelta(ok, { scheme: 'int8', stochastic: true })).toThrow(/opts.random/)
    expect(() => quantizeDelta(ok, { scheme: 'int8-topk', topkFraction: 0 })).toThrow(/topkFraction/)
    expect(() => quantizeDelta(ok, { scheme: 'int4' as Scheme })).toThrow(/unknown scheme/)
  })
})

describe('int8', () => {
  it('deterministic rounding: |x - x̂| <= scale/2 for every entry, with scale = maxAbs/127', () => {
    const random = seededRandom(5)
    // heavy-tailed values over several magnitudes, plus exact half-steps
    const data = Float32Array.from({ length: 20_000 }, () => gaussian(random) * Math.exp(3 * gaussian(random)))
    const delta: Tensor[] = [{ name: 'x', shape: [data.length], data }]
    const q = quantizeDelta(delta, { scheme: 'int8' })
    const t = q.tensors[0] as Int8Tensor
    let maxAbs = 0
    for (const x of data) maxAbs = Math.max(maxAbs, Math.abs(x))
    expect(t.scale).toBe(Math.fround(maxAbs / 127))
    const back = (dequantize(q)[0] as Tensor).data
    let worstExcess = -Infinity
    for (let i = 0; i < data.length; i++) {
      const xHat = back[i] as number
      // dequantize stores q·scale as float32: allow that one rounding (half an ulp of x̂)
      const ulp = Math.abs(xHat) * 2 ** -24
      worstExcess = Math.max(worstExcess, Math.abs((data[i] as number) - xHat) - (t.scale / 2 + ulp))
    }
    expect(worstExcess).toBeLessThanOrEqual(0)
    expect(Math.max(...Array.from(t.values, Math.abs))).toBe(127)
  })

  it('is deterministic without stochastic rounding', () => {
    const delta = makeDelta(SHAPES, seededRandom(9))
    expect(quantizeDelta(delta, { scheme: 'int8' })).toEqual(quantizeDelta(delta, { scheme: 'int8' }))
  })

  it('stochastic rounding is unbiased: the mean of many quantisations converges to x', () => {
    const random = seededRandom(77)
    // values deliberately between levels (scale = 1/127 because of the 1.0 entry)
    const data = Float32Array.of(1, 0.3 / 127, 2.5 / 127, -7.75 / 127, 100.1 / 127, -0.9 / 127)
    const delta: Tensor[] = [{ name: 'x', shape: [data.length], data }]
    const trials = 20_000
    const sums = new Float64Array(data.length)
    for (let k = 0; k < trials; k++) {
      const back = (dequantize(quantizeDelta(delta, { scheme: 'int8', stochastic: true, random }))[0] as Tensor).data
      for (let i = 0; i < data.length; i++) sums[i] = (sums[i] as number) + (back[i] as number)
    }
    const scale = int8Scale(1)
    for (let i = 0; i < data.length; i++) {
      const mean = (sums[i] as number) / trials
      // rounding up with probability p has standard deviation scale·sqrt(p(1-p)) <= scale/2 per trial;
      // 5 standard errors of the mean:
      expect(Math.abs(mean - (data[i] as number))).toBeLessThan(5 * (scale / 2) / Math.sqrt(trials))
    }
    // and deterministic rounding of the same values is biased, so the test above can tell them apart
    const det = (dequantize(quantizeDelta(delta, { scheme: 'int8' }))[0] as Tensor).data
    expect(Math.abs((det[1] as number) - (data[1] as number))).toBeGreaterThan(10 * (scale / 2) / Math.sqrt(trials))
  })

  it('stochastic rounding stays within one level of x', () => {
    const delta = makeDelta(SHAPES, seededRandom(2))
    const q = quantizeDelta(delta, { scheme: 'int8', stochastic: true, random: seededRandom(4) })
    const back = dequantize(q)
    let worstInLevels = 0
    delta.forEach((t, i) => {
      const scale = (q.tensors[i] as Int8Tensor).scale
      t.data.forEach((x, j) => { worstInLevels = Math.max(worstInLevels, Math.abs(x - ((back[i] as Tensor).data[j] as number)) / scale) })
    })
    expect(worstInLevels).toBeLessThanOrEqual(1 + 1e-6)
    expect(worstInLevels).toBeGreaterThan(0.5) // it does round away from the nearest level sometimes
  })
})

describe('top-k', () => {
  it('keeps exactly the k largest-magnitude entries of each tensor (checked against a full sort)', () => {
    const random = seededRandom(21)
    for (const n of [1, 7, 600, 5000]) {
      const data = Float32Array.from({ length: n }, () => gaussian(random))
      for (const fraction of [0.01, 0.1, 0.5, 1]) {
        const k = topkCount(n, fraction)
        const kept = topkIndices(data, k)
        const reference = Array.from(data.keys()).sort((a, b) => Math.abs(data[b] as number) - Math.abs(data[a] as number) || a - b).slice(0, k).sort((a, b) => a - b)
        expect(Array.from(kept)).toEqual(reference)
      }
    }
  })

  it('breaks ties towards lower indices, deterministically', () => {
    const data = Float32Array.of(1, -3, 3, 2, -3, 3, 0)
    expect(Array.from(topkIndices(data, 3))).toEqual([1, 2, 4])
    expect(Array.from(topkIndices(data, 5))).toEqual([1, 2, 3, 4, 5])
    // ties at the threshold before a larger entry must not crowd it out
    expect(Array.from(topkIndices(Float32Array.of(2, -2, 5), 2))).toEqual([0, 2])
  })

  it('k is round(fraction·n), at least 1, at most n', () => {
    expect(topkCount(1000, 0.1)).toBe(100)
    expect(topkCount(3, 0.01)).toBe(1)
    expect(topkCount(0, 0.5)).toBe(0)
    expect(topkCount(10, 1)).toBe(10)
  })

  it('sends the kept values int8-quantised and zeros the rest', () => {
    const delta = makeDelta(SHAPES, seededRandom(8))
    const q = quantizeDelta(delta, { scheme: 'int8-topk', topkFraction: 0.05 })
    const back = dequantize(q)
    q.tensors.forEach((t, i) => {
      const tk = t as Int8TopkTensor
      const original = (delta[i] as Tensor).data
      expect(tk.indices.length).toBe(topkCount(original.length, 0.05))
      const keptSet = new Set(tk.indices)
      const minKept = Math.min(...Array.from(tk.indices, j => Math.abs(original[j] as number)))
      let worstKeptExcess = -Infinity
      let largestDropped = 0
      let nonZeroDropped = 0
      original.forEach((x, j) => {
        const xHat = (back[i] as Tensor).data[j] as number
        if (keptSet.has(j)) worstKeptExcess = Math.max(worstKeptExcess, Math.abs(x - xHat) - (tk.scale / 2 + Math.abs(xHat) * 2 ** -24))
        else {
          if (xHat !== 0) nonZeroDropped++
          largestDropped = Math.max(largestDropped, Math.abs(x))
        }
      })
      expect(worstKeptExcess).toBeLessThanOrEqual(0)
      expect(nonZeroDropped).toBe(0)
      expect(largestDropped).toBeLessThanOrEqual(minKept)
    })
  })
})

describe('error feedback', () => {
  it('carries what top-k dropped into the next round, so the sum of sent deltas tracks the sum of true deltas', () => {
    const random = seededRandom(31)
    const ef = new ErrorFeedback()
    const rounds = 30
    const trueSum = new Float64Array(2010)
    const sentSumEf = new Float64Array(2010)
    const sentSumPlain = new Float64Array(2010)
    for (let r = 0; r < rounds; r++) {
      const delta = makeDelta(SHAPES, random)
      flattenTensors(delta).forEach((x, i) => { trueSum[i] = (trueSum[i] as number) + x })
      flattenTensors(dequantize(ef.quantize(delta, { scheme: 'int8-topk', topkFraction: 0.1 }))).forEach((x, i) => { sentSumEf[i] = (sentSumEf[i] as number) + x })
      flattenTensors(dequantize(quantizeDelta(delta, { scheme: 'int8-topk', topkFraction: 0.1 }))).forEach((x, i) => { sentSumPlain[i] = (sentSumPlain[i] as number) + x })
    }
    const err = (sent: Float64Array): number => Math.sqrt(sent.reduce((s, x, i) => s + (x - (trueSum[i] as number)) ** 2, 0))
    // with feedback the gap is only the residual still waiting (bounded); without it grows with the rounds
    expect(err(sentSumEf)).toBeCloseTo(ef.residualNorm(), 3)
    expect(err(sentSumEf)).toBeLessThan(err(sentSumPlain) / 2)
  })

  it('refuses a delta whose layout differs from the carried residual until reset', () => {
    const ef = new ErrorFeedback()
    ef.quantize(makeDelta(SHAPES, seededRandom(1)), { scheme: 'int8' })
    const other = makeDelta([{ name: 'w', shape: [3] }], seededRandom(2))
    expect(() => ef.quantize(other, { scheme: 'int8' })).toThrow(/reset\(\)/)
    ef.reset()
    expect(ef.residualNorm()).toBe(0)
    expect(() => ef.quantize(other, { scheme: 'int8' })).not.toThrow()
  })
})

describe('helpers', () => {
  it('flattenTensors / unflattenTensors are inverses', () => {
    const delta = makeDelta(SHAPES, seededRandom(6))
    const flat = flattenTensors(delta)
    expect(flat.length).toBe(2010)
    expect(unflattenTensors(flat, SHAPES)).toEqual(delta)
    expect(() => unflattenTensors(flat.subarray(1), SHAPES)).toThrow(/2009 values/)
  })

  it('quantizationError reports rmse relative to the rms', () => {
    const a: Tensor[] = [{ name: 'x', shape: [4], data: Float32Array.of(1, -1, 1, -1) }]
    const b: Tensor[] = [{ name: 'x', shape: [4], data: Float32Array.of(1.5, -1, 1, -0.5) }]
    const s = quantizationError(a, b)
    expect(s.rms).toBeCloseTo(1)
    expect(s.rmse).toBeCloseTo(Math.sqrt(0.5 / 4))
    expect(s.relativeRmse).toBeCloseTo(Math.sqrt(0.5 / 4))
    expect(s.maxAbsError).toBeCloseTo(0.5)
  })
})
