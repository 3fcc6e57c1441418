/** One named tensor of a model or of a delta, row-major. A scalar has shape []. */
export interface Tensor {
  name: string
  shape: number[]
  data: Float32Array
}

/** A tensor's name and shape without values: what a receiver expects a delta to look like. */
export interface TensorSpec {
  name: string
  shape: number[]
}

export const SCHEMES = ['float32', 'int8', 'int8-topk'] as const
export type Scheme = typeof SCHEMES[number]

/** Uncompressed: 4 bytes per parameter. */
export interface Float32Tensor {
  scheme: 'float32'
  name: string
  shape: number[]
  values: Float32Array
}

/**
 * Symmetric per-tensor int8: value ≈ values[i] * scale, scale = maxAbs / 127 (as float32). quantizeDelta only
 * produces -127..127; a received -128 is decoded as -128 * scale (still bounded by the norm check).
 */
export interface Int8Tensor {
  scheme: 'int8'
  name: string
  shape: number[]
  scale: number
  values: Int8Array
}

/** The k largest-magnitude entries only, int8 like Int8Tensor; every other entry is 0. */
export interface Int8TopkTensor {
  scheme: 'int8-topk'
  name: string
  shape: number[]
  scale: number
  /** Flat row-major indices of the kept entries, strictly increasing. */
  indices: Uint32Array
  /** One quantised value per index. */
  values: Int8Array
}

export type QuantizedTensor = Float32Tensor | Int8Tensor | Int8TopkTensor

export interface QuantizedDelta {
  tensors: QuantizedTensor[]
}

/** Number of elements of a tensor with this shape (1 for a scalar). */
export function elementCount (shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

export function sameShape (a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
