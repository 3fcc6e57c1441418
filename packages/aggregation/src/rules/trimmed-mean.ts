import { range, selectKth } from '../vector-math.ts'
import { noScores } from './rule.ts'
import type { RuleInput, RuleOutput } from './rule.ts'

/**
 * Coordinate-wise trimmed mean (Yin et al. 2018): per coordinate, drop the `trim` smallest and `trim` largest
 * values and average the n - 2·trim others. With trim >= f every kept value lies within the honest values'
 * range: a value outside it is Byzantine and there are at most f of them on each side.
 *
 * The kept values are summed in id order, which avoids sorting every column: two quickselects find the lowest
 * and highest kept values lo and hi, then one pass in id order adds every value strictly between them plus
 * as many copies of lo and hi as sorting would have kept (the first ones in id order; equal values are equal
 * bits, so which copies only fixes the order of the additions).
 */
export function trimmedMean ({ vectors, dimension, spec }: RuleInput): RuleOutput {
  const n = vectors.length
  const trim = spec.trim
  const kept = n - 2 * trim
  const column = new Float64Array(n)
  const scratch = new Float64Array(n)
  const out = new Float32Array(dimension)
  for (let k = 0; k < dimension; k++) {
    for (let i = 0; i < n; i++) column[i] = vectors[i]![k]!
    scratch.set(column)
    const lo = selectKth(scratch, 0, n, trim)
    // After the first selection everything from index trim on is >= lo, so the second can skip the prefix.
    const hi = selectKth(scratch, trim, n, n - 1 - trim)
    let keepLo: number
    let keepHi: number
    if (lo === hi) {
      keepLo = kept
      keepHi = 0
    } else {
      let below = 0
      let equalLo = 0
      let above = 0
      let equalHi = 0
      for (let i = 0; i < n; i++) {
        const x = column[i]!
        if (x < lo) below++
        else if (x === lo) equalLo++
        else if (x > hi) above++
        else if (x === hi) equalHi++
      }
      // In sorted order the lo copies occupy [below, below+equalLo) and the kept range starts at trim.
      keepLo = below + equalLo - trim
      keepHi = above + equalHi - trim
    }
    let sum = 0
    for (let i = 0; i < n; i++) {
      const x = column[i]!
      if (x > lo && x < hi) {
        sum += x
      } else if (x === lo && keepLo > 0) {
        sum += x
        keepLo--
      } else if (x === hi && keepHi > 0) {
        sum += x
        keepHi--
      }
    }
    out[k] = sum / kept
  }
  return { aggregate: out, selected: range(n), scores: noScores(n) }
}
