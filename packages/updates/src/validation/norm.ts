import type { QuantizedTensor } from '../quantize/types.ts'

/**
 * L2 norm of the dequantised delta, in float64 straight from the quantised values (int8: scale²·Σq²), without
 * materialising the float32 tensors. Differs from the norm of dequantize()'s float32 output only by float32
 * rounding of each product (relative 1e-7).
 */
export function deltaNorm (tensors: readonly QuantizedTensor[]): number {
  let sum = 0
  for (const t of tensors) {
    if (t.scheme === 'float32') {
      for (let i = 0; i < t.values.length; i++) {
        const x = t.values[i] as number
        sum += x * x
      }
    } else {
      let q2 = 0
      for (let i = 0; i < t.values.length; i++) {
        const q = t.values[i] as number
        q2 += q * q
      }
      sum += t.scale * t.scale * q2
    }
  }
  return Math.sqrt(sum)
}
