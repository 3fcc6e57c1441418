import { AggregationInputError } from '../errors.ts'
import { accumulatePairLanesJs } from './js-kernel.ts'
import { addOddTail, combineLanes } from './lanes.ts'
import { WASM_MEMORY_LIMIT_BYTES, accumulatePairLanesWasm, wasmMemoryBytesNeeded, wasmSimdAvailable } from './wasm-simd-kernel.ts'

/** 'auto' uses WebAssembly SIMD when the engine has it, else scalar JS; all give bit-identical results. */
export type DistanceKernel = 'auto' | 'wasm-simd' | 'js'

export interface PairwiseOptions {
  kernel?: DistanceKernel
}

/** The kernel 'auto' picks for n vectors in this engine. */
export function resolveDistanceKernel (n: number, kernel: DistanceKernel = 'auto'): 'wasm-simd' | 'js' {
  if (kernel !== 'auto') return kernel
  return wasmSimdAvailable() && wasmMemoryBytesNeeded(n) <= WASM_MEMORY_LIMIT_BYTES ? 'wasm-simd' : 'js'
}

/**
 * All pairwise squared Euclidean distances as a symmetric n×n row-major matrix with a zero diagonal.
 * Each pair is computed once, in the canonical order described in lanes.ts (so entry [i][j] equals
 * squaredDistance(vectors[i], vectors[j]) bit for bit, whatever the kernel). This is the O(n²d) hot spot of
 * Krum, Multi-Krum, Bulyan and nearest-neighbour mixing.
 */
export function pairwiseSquaredDistances (vectors: readonly Float32Array[], options: PairwiseOptions = {}): Float64Array {
  const n = vectors.length
  const out = new Float64Array(n * n)
  if (n === 0) return out
  const dimension = vectors[0]!.length
  for (let i = 1; i < n; i++) {
    if (vectors[i]!.length !== dimension) {
      throw new AggregationInputError(
        `pairwiseSquaredDistances needs vectors of equal length: vector ${i} has ${vectors[i]!.length} values, vector 0 has ${dimension}`)
    }
  }
  if (n === 1) return out
  const requested = options.kernel ?? 'auto'
  let lanes: Float64Array | undefined
  if (resolveDistanceKernel(n, requested) === 'wasm-simd') {
    try {
      lanes = accumulatePairLanesWasm(vectors, dimension)
    } catch (error) {
      // With 'auto', a failure such as wasm memory that cannot grow falls back to the (bit-identical) JS kernel.
      if (requested !== 'auto') throw error
    }
  }
  if (lanes === undefined) {
    lanes = new Float64Array(2 * n * n)
    accumulatePairLanesJs(vectors, dimension, lanes)
  }
  addOddTail(vectors, dimension, lanes)
  combineLanes(n, lanes, out)
  return out
}
