import { int8Scale, maxAbsOf, quantizeInt8Into } from './int8.ts'
import { topkCount, topkIndices } from './topk.ts'
import { elementCount, SCHEMES } from './types.ts'
import type { QuantizedDelta, QuantizedTensor, Scheme, Tensor } from './types.ts'

export interface QuantizeOptions {
  scheme: Scheme
  /** int8-topk: fraction of each tensor's entries to keep, in (0, 1]; default 0.1. */
  topkFraction?: number
  /** Unbiased stochastic rounding instead of round-to-nearest; needs `random`. */
  stochastic?: boolean
  /** Uniform in [0, 1); used only for stochastic rounding. */
  random?: () => number
}

export const DEFAULT_TOPK_FRACTION = 0.1

/**
 * Compresses a model delta for the wire. Throws (RangeError/TypeError naming the tensor) on input that
 * receivers would reject anyway: non-finite values, data length not matching the shape, bad options.
 * The result never aliases the input arrays.
 */
export function quantizeDelta (delta: readonly Tensor[], opts: QuantizeOptions): QuantizedDelta {
  if (!Array.isArray(delta)) throw new TypeError('quantizeDelta needs an array of tensors { name, shape, data }')
  const scheme = opts?.scheme
  if (!SCHEMES.includes(scheme)) throw new TypeError(`unknown scheme '${String(scheme)}'; expected one of ${SCHEMES.join(', ')}`)
  const fraction = opts.topkFraction ?? DEFAULT_TOPK_FRACTION
  if (scheme === 'int8-topk' && !(fraction > 0 && fraction <= 1)) throw new RangeError(`topkFraction must be in (0, 1], got ${fraction}`)
  let random: (() => number) | undefined
  if (opts.stochastic === true) {
    if (scheme === 'float32') throw new TypeError('stochastic rounding applies to int8 schemes, not float32')
    if (typeof opts.random !== 'function') throw new TypeError('stochastic rounding needs opts.random (uniform in [0, 1))')
    random = opts.random
  }

  checkTensors(delta, 'delta')
  return {
    tensors: delta.map((t): QuantizedTensor => {
      const shape = [...t.shape]
      if (scheme === 'float32') return { scheme, name: t.name, shape, values: t.data.slice() }
      const scale = int8Scale(maxAbsOf(t.data))
      if (scheme === 'int8') {
        const values = new Int8Array(t.data.length)
        quantizeInt8Into(t.data, scale, values, random)
        return { scheme, name: t.name, shape, scale, values }
      }
      const indices = topkIndices(t.data, topkCount(t.data.length, fraction))
      const values = new Int8Array(indices.length)
      quantizeInt8Into(t.data, scale, values, random, indices)
      return { scheme, name: t.name, shape, scale, indices, values }
    })
  }
}

/** Back to float32 tensors (entries top-k dropped are 0). */
export function dequantize (q: QuantizedDelta): Tensor[] {
  return q.tensors.map(dequantizeTensor)
}

export function dequantizeTensor (t: QuantizedTensor): Tensor {
  const shape = [...t.shape]
  switch (t.scheme) {
    case 'float32':
      return { name: t.name, shape, data: t.values.slice() }
    case 'int8': {
      const data = new Float32Array(t.values.length)
      for (let i = 0; i < data.length; i++) data[i] = (t.values[i] as number) * t.scale
      return { name: t.name, shape, data }
    }
    case 'int8-topk': {
      const data = new Float32Array(elementCount(t.shape))
      for (let i = 0; i < t.indices.length; i++) data[t.indices[i] as number] = (t.values[i] as number) * t.scale
      return { name: t.name, shape, data }
    }
  }
}

/** All tensors' values end to end, in order: the flat vector the aggregation rules work on. */
export function flattenTensors (tensors: readonly Tensor[]): Float32Array {
  let total = 0
  for (const t of tensors) total += t.data.length
  const out = new Float32Array(total)
  let at = 0
  for (const t of tensors) { out.set(t.data, at); at += t.data.length }
  return out
}

/** Splits a flat vector back into tensors shaped like `specs` (the inverse of flattenTensors). */
export function unflattenTensors (flat: Float32Array, specs: ReadonlyArray<{ name: string, shape: number[] }>): Tensor[] {
  let total = 0
  for (const s of specs) total += elementCount(s.shape)
  if (total !== flat.length) throw new RangeError(`flat vector has ${flat.length} values, the shapes need ${total}`)
  let at = 0
  return specs.map(s => {
    const n = elementCount(s.shape)
    const data = flat.slice(at, at + n)
    at += n
    return { name: s.name, shape: [...s.shape], data }
  })
}

/** Throws a RangeError/TypeError naming the first bad tensor: bad name or shape, wrong length, NaN/±Infinity. */
export function checkTensors (tensors: readonly Tensor[], what: string): void {
  tensors.forEach((t, i) => {
    const where = `${what} tensor ${i} ('${String(t?.name)}')`
    if (typeof t?.name !== 'string' || t.name === '') throw new TypeError(`${what} tensor ${i} needs a non-empty name`)
    if (!Array.isArray(t.shape) || !t.shape.every(d => Number.isInteger(d) && d >= 0)) {
      throw new TypeError(`${where}: shape must be an array of non-negative integers`)
    }
    if (!(t.data instanceof Float32Array)) throw new TypeError(`${where}: data must be a Float32Array`)
    const n = elementCount(t.shape)
    if (t.data.length !== n) throw new RangeError(`${where}: shape [${t.shape.join(', ')}] has ${n} elements but data has ${t.data.length}`)
    for (let j = 0; j < t.data.length; j++) {
      if (!Number.isFinite(t.data[j])) throw new RangeError(`${where}: value ${t.data[j]} at index ${j} is not finite`)
    }
  })
}
