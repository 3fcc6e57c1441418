import { range, selectKth, toFloat32 } from '../vector-math.ts'
import { noScores } from './rule.ts'
import type { RuleInput, RuleOutput } from './rule.ts'

/**
 * Coordinate-wise median (Yin et al. 2018); for even n the midpoint of the two middle values.
 * With n > 2f each coordinate lies within the honest values' range.
 */
export function coordinateMedian ({ vectors, dimension }: RuleInput): RuleOutput {
  const n = vectors.length
  const column = new Float64Array(n)
  const out = new Float32Array(dimension)
  const lower = (n - 1) >> 1
  for (let k = 0; k < dimension; k++) {
    for (let i = 0; i < n; i++) column[i] = vectors[i]![k]!
    const low = selectKth(column, 0, n, lower)
    if ((n & 1) === 1) {
      out[k] = low
      continue
    }
    // selectKth left everything above index `lower` >= low; the upper middle value is the smallest of those.
    let high = column[lower + 1]!
    for (let i = lower + 2; i < n; i++) if (column[i]! < high) high = column[i]!
    out[k] = (low + high) / 2
  }
  return { aggregate: out, selected: range(n), scores: noScores(n) }
}
