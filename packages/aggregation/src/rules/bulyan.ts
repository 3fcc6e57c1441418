import { pairwiseSquaredDistances } from '../distances/pairwise.ts'
import { range, sortAscending, toFloat32 } from '../vector-math.ts'
import { krumScores, rankByScore } from './krum.ts'
import type { RuleInput, RuleOutput } from './rule.ts'

/**
 * Bulyan (El Mhamdi, Guerraoui & Rouault 2018), needs n >= 4f+3.
 * 1. Selection: theta = n-2f times, run Krum on the not-yet-selected updates and move its pick to the selection.
 *    With r updates remaining Krum sums the r-f-2 nearest neighbours; near the end, where r-f-2 < 1, it uses
 *    one neighbour (and none once a single update remains), so a pick is always defined.
 * 2. Aggregation: per coordinate, average the beta = theta-2f selected values closest to their median.
 *    In sorted order they form a window grown outward from the median, taking the closer side each step and the
 *    lower side on ties, then summed in ascending order.
 * Scores are the Krum scores over all n updates (the first selection round).
 */
export function bulyan ({ vectors, dimension, spec, kernel }: RuleInput): RuleOutput {
  const n = vectors.length
  const f = spec.f
  const theta = n - 2 * f
  const beta = theta - 2 * f
  const distances = pairwiseSquaredDistances(vectors, { kernel })

  let remaining = range(n)
  const selected: number[] = []
  let firstScores: Float64Array = new Float64Array(0)
  while (selected.length < theta) {
    const neighbours = Math.min(remaining.length - 1, Math.max(1, remaining.length - f - 2))
    const scores = krumScores(distances, n, remaining, neighbours)
    if (selected.length === 0) firstScores = scores
    const pick = remaining[rankByScore(scores)[0]!]!
    selected.push(pick)
    remaining = remaining.filter(i => i !== pick)
  }

  const members = [...selected].sort((a, b) => a - b)
  const column = new Float64Array(theta)
  const out = new Float64Array(dimension)
  const upperMiddle = theta >> 1
  const lowerMiddle = (theta - 1) >> 1
  for (let k = 0; k < dimension; k++) {
    for (let r = 0; r < theta; r++) column[r] = vectors[members[r]!]![k]!
    sortAscending(column, theta)
    const median = (column[lowerMiddle]! + column[upperMiddle]!) / 2
    // Candidates below are column[..left], above column[right..]; the window is column(left..right).
    let left = lowerMiddle
    let right = lowerMiddle + 1
    for (let taken = 0; taken < beta; taken++) {
      if (right >= theta || (left >= 0 && median - column[left]! <= column[right]! - median)) left--
      else right++
    }
    let sum = 0
    for (let r = left + 1; r < right; r++) sum += column[r]!
    out[k] = sum / beta
  }
  return { aggregate: toFloat32(out), selected, scores: firstScores }
}
