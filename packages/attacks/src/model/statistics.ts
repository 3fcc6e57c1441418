/**
 * Coordinate-wise mean and standard deviation of some vectors, accumulated in float64 (the vectors are float32).
 * The deviation is the population one (divide by count): what ALIE's attacker estimates from the updates it sees.
 */
export function coordinateMeanStd (vectors: readonly Float32Array[]): { mean: Float64Array, std: Float64Array } {
  const count = vectors.length
  if (count === 0) throw new RangeError('coordinateMeanStd needs at least one vector')
  const dimension = vectors[0]!.length
  const mean = new Float64Array(dimension)
  for (const v of vectors) for (let j = 0; j < dimension; j++) mean[j]! += v[j]!
  for (let j = 0; j < dimension; j++) mean[j]! /= count
  const std = new Float64Array(dimension)
  for (const v of vectors) {
    for (let j = 0; j < dimension; j++) {
      const d = v[j]! - mean[j]!
      std[j]! += d * d
    }
  }
  for (let j = 0; j < dimension; j++) std[j] = Math.sqrt(std[j]! / count)
  return { mean, std }
}

/**
 * Inverse of the standard normal CDF, Acklam's rational approximation (relative error < 1.2e-9 over (0, 1)),
 * plenty for choosing ALIE's z.
 */
export function inverseNormalCdf (p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity
    if (p === 1) return Infinity
    throw new RangeError(`inverseNormalCdf needs p in [0, 1], got ${p}`)
  }
  const a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
  const b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
  const c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
  const d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
  const low = 0.02425
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
  }
  if (p > 1 - low) return -inverseNormalCdf(1 - p)
  const q = p - 0.5
  const r = q * q
  return (((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
}
