/** Symmetric int8 quantisation: levels -127..127 (not -128, so the range is symmetric and 0 is exact). */
export const INT8_MAX_LEVEL = 127

/**
 * Per-tensor scale, rounded to float32 because that is how it travels: the sender quantises with exactly the
 * number the receiver will multiply by.
 */
export function int8Scale (maxAbs: number): number {
  return Math.fround(maxAbs / INT8_MAX_LEVEL)
}

export function maxAbsOf (values: Float32Array): number {
  let max = 0
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i] as number)
    if (a > max) max = a
  }
  return max
}

/**
 * Quantises `source[i]` for every i in `indices` (or every element) into `out`, in order.
 *
 * Deterministic rounding goes to the nearest level (half away from zero), so |x - q·scale| <= scale/2.
 * Stochastic rounding takes floor(x/scale + u) with u uniform in [0, 1): E[q·scale] = x exactly, which
 * keeps the aggregate of many quantised deltas unbiased at the cost of twice the worst-case error.
 * A scale of 0 (all-zero tensor, or one so tiny its scale underflows float32) gives all zeros.
 */
export function quantizeInt8Into (
  source: Float32Array, scale: number, out: Int8Array, random?: () => number, indices?: Uint32Array
): void {
  const n = indices === undefined ? source.length : indices.length
  if (out.length !== n) throw new RangeError(`int8 output has ${out.length} slots for ${n} values`)
  if (scale === 0) { out.fill(0); return }
  for (let i = 0; i < n; i++) {
    const x = source[indices === undefined ? i : indices[i] as number] as number
    const v = x / scale
    let q = random === undefined
      ? (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5))
      : Math.floor(v + random())
    // |v| can exceed 127 by a float32 rounding of the scale; clamping there moves x by far less than scale/2
    if (q > INT8_MAX_LEVEL) q = INT8_MAX_LEVEL
    else if (q < -INT8_MAX_LEVEL) q = -INT8_MAX_LEVEL
    out[i] = q
  }
}
