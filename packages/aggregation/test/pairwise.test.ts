import { describe, expect, it } from 'vitest'
import { AggregationInputError, pairwiseSquaredDistances, resolveDistanceKernel, squaredDistance } from '../src/index.ts'
import { wasmSimdAvailable } from '../src/distances/wasm-simd-kernel.ts'
import { randomVectors, seededRandom, shuffled } from './helpers.ts'

/** The obvious definition: one float64 accumulator, coordinates in order, each ordered pair separately. */
function naiveDistances (vectors: Float32Array[]): Float64Array {
  const n = vectors.length
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0
      for (let k = 0; k < vectors[i]!.length; k++) {
        const e = vectors[i]![k]! - vectors[j]![k]!
        sum += e * e
      }
      out[i * n + j] = sum
    }
  }
  return out
}

// Shapes chosen to hit every code path: n below, at and off the 2×4 block sizes, d below, at and off the
// 512-coordinate tile, odd d (the tail coordinate), d = 0 and d = 1.
const SHAPES: Array<[number, number]> = [[2, 1], [2, 0], [3, 2], [4, 7], [5, 512], [6, 513], [7, 1031], [9, 1024], [10, 3], [13, 2049], [17, 300]]
const KERNELS = wasmSimdAvailable() ? (['js', 'wasm-simd'] as const) : (['js'] as const)

describe('pairwiseSquaredDistances', () => {
  it('computes a hand-worked 2-D case', () => {
    const d = pairwiseSquaredDistances([Float32Array.of(0, 0), Float32Array.of(3, 4), Float32Array.of(6, 8)])
    expect([...d]).toEqual([0, 25, 100, 25, 0, 25, 100, 25, 0])
  })

  for (const kernel of KERNELS) {
    it(`${kernel}: agrees with the naive double loop, is symmetric with a zero diagonal`, () => {
      const random = seededRandom(1)
      for (const [n, dimension] of SHAPES) {
        const vectors = randomVectors(n, dimension, random, 10)
        const fast = pairwiseSquaredDistances(vectors, { kernel })
        const naive = naiveDistances(vectors)
        for (let i = 0; i < n; i++) {
          expect(fast[i * n + i]).toBe(0)
          for (let j = 0; j < n; j++) {
            expect(fast[i * n + j]).toBe(fast[j * n + i])
            expect(Math.abs(fast[i * n + j]! - naive[i * n + j]!)).toBeLessThanOrEqual(1e-12 * naive[i * n + j]!)
          }
        }
      }
    })

    it(`${kernel}: equals squaredDistance bit for bit`, () => {
      const random = seededRandom(2)
      for (const [n, dimension] of SHAPES) {
        const vectors = randomVectors(n, dimension, random, 1000)
        const fast = pairwiseSquaredDistances(vectors, { kernel })
        for (let i = 0; i < n; i++) {
          for (let j = i + 1; j < n; j++) expect(Object.is(fast[i * n + j], squaredDistance(vectors[i]!, vectors[j]!))).toBe(true)
        }
      }
    })
  }

  it.runIf(wasmSimdAvailable())('gives identical bits with the wasm-simd and js kernels', () => {
    const random = seededRandom(3)
    for (const [n, dimension] of [...SHAPES, [37, 4099] as [number, number]]) {
      // Mixed magnitudes make rounding differences visible if the kernels summed in different orders.
      const vectors = randomVectors(n, dimension, random).map(v => v.map((x, k) => x * 10 ** ((k % 7) - 3)))
      const wasm = pairwiseSquaredDistances(vectors, { kernel: 'wasm-simd' })
      const js = pairwiseSquaredDistances(vectors, { kernel: 'js' })
      expect(Buffer.from(wasm.buffer).equals(Buffer.from(js.buffer))).toBe(true)
    }
  })

  it('picks wasm-simd automatically where available', () => {
    expect(resolveDistanceKernel(10)).toBe(wasmSimdAvailable() ? 'wasm-simd' : 'js')
    expect(resolveDistanceKernel(10, 'js')).toBe('js')
  })

  it('permuting the vectors permutes the matrix exactly', () => {
    const random = seededRandom(4)
    const vectors = randomVectors(11, 777, random, 3)
    const base = pairwiseSquaredDistances(vectors)
    const order = shuffled([...vectors.keys()], random)
    const permuted = pairwiseSquaredDistances(order.map(i => vectors[i]!))
    const n = vectors.length
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) expect(Object.is(permuted[a * n + b], base[order[a]! * n + order[b]!])).toBe(true)
    }
  })

  it('stays finite at the float32 extremes', () => {
    const max = 3.4028234663852886e38
    const d = pairwiseSquaredDistances([new Float32Array(1001).fill(max), new Float32Array(1001).fill(-max)])
    expect(Number.isFinite(d[1])).toBe(true)
    expect(Math.abs(d[1]! / (1001 * (2 * max) ** 2) - 1)).toBeLessThan(1e-12)
  })

  it('handles no and one vector, and rejects unequal lengths', () => {
    expect(pairwiseSquaredDistances([]).length).toBe(0)
    expect([...pairwiseSquaredDistances([Float32Array.of(1, 2)])]).toEqual([0])
    expect(() => pairwiseSquaredDistances([new Float32Array(3), new Float32Array(4)])).toThrow(AggregationInputError)
    expect(() => pairwiseSquaredDistances([new Float32Array(3), new Float32Array(4)])).toThrow(/vector 1 has 4 values, vector 0 has 3/)
  })
})
