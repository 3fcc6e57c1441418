import type { Tensor } from './types.ts'

export interface QuantizationErrorStats {
  params: number
  /** Root mean square of the original values. */
  rms: number
  /** Root mean square of (original - reconstructed). */
  rmse: number
  /** rmse / rms (0 when both are 0): the error relative to the delta's own size. */
  relativeRmse: number
  maxAbsError: number
}

/** Error of `reconstructed` against `original`; both must have the same layout. */
export function quantizationError (original: readonly Tensor[], reconstructed: readonly Tensor[]): QuantizationErrorStats {
  if (original.length !== reconstructed.length) throw new RangeError(`${original.length} original tensors vs ${reconstructed.length} reconstructed`)
  let params = 0
  let sumSq = 0
  let errSq = 0
  let maxAbsError = 0
  original.forEach((t, i) => {
    const r = reconstructed[i] as Tensor
    if (r.data.length !== t.data.length) throw new RangeError(`tensor '${t.name}': ${t.data.length} values vs ${r.data.length} reconstructed`)
    for (let j = 0; j < t.data.length; j++) {
      const x = t.data[j] as number
      const e = Math.abs(x - (r.data[j] as number))
      sumSq += x * x
      errSq += e * e
      if (e > maxAbsError) maxAbsError = e
    }
    params += t.data.length
  })
  const rms = params === 0 ? 0 : Math.sqrt(sumSq / params)
  const rmse = params === 0 ? 0 : Math.sqrt(errSq / params)
  return { params, rms, rmse, relativeRmse: rms === 0 ? (rmse === 0 ? 0 : Infinity) : rmse / rms, maxAbsError }
}
