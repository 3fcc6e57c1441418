import { pairwiseSquaredDistances } from '../distances/pairwise.ts'
import { meanOf, range, sortAscending, toFloat32 } from '../vector-math.ts'
import type { RuleInput, RuleOutput } from './rule.ts'

/**
 * Krum score of each member (Blanchard et al. 2017): the sum of its `neighbours` smallest squared distances to
 * the other members, added in ascending order. `distances` is the full n×n matrix; `members` are indices into it.
 * Returns scores aligned with `members`.
 */
export function krumScores (distances: Float64Array, n: number, members: readonly number[], neighbours: number): Float64Array {
  const scores = new Float64Array(members.length)
  const row = new Float64Array(Math.max(0, members.length - 1))
  for (let a = 0; a < members.length; a++) {
    const i = members[a]!
    let count = 0
    for (const j of members) {
      if (j !== i) row[count++] = distances[i * n + j]!
    }
    sortAscending(row, count)
    let score = 0
    for (let r = 0; r < neighbours; r++) score += row[r]!
    scores[a] = score
  }
  return scores
}

/** Member positions ordered by score, ties broken by position (members are in id order, so by id). */
export function rankByScore (scores: Float64Array): number[] {
  return range(scores.length).sort((a, b) => {
    const difference = scores[a]! - scores[b]!
    return difference !== 0 ? difference : a - b
  })
}

/** Krum: the single update whose n-f-2 nearest neighbours are closest. Needs n > 2f+2. */
export function krum (input: RuleInput): RuleOutput {
  const { scores, ranking } = scoreAll(input)
  const best = ranking[0]!
  return { aggregate: new Float32Array(input.vectors[best]!), selected: [best], scores }
}

/** Multi-Krum (El Mhamdi et al. 2018): the plain mean of the m best-scored updates, summed in id order. */
export function multiKrum (input: RuleInput): RuleOutput {
  const { scores, ranking } = scoreAll(input)
  const selected = ranking.slice(0, input.spec.m)
  const mean = meanOf(input.vectors, [...selected].sort((a, b) => a - b), input.dimension)
  return { aggregate: toFloat32(mean), selected, scores }
}

function scoreAll ({ vectors, spec, kernel }: RuleInput): { scores: Float64Array, ranking: number[] } {
  const n = vectors.length
  const distances = pairwiseSquaredDistances(vectors, { kernel })
  const scores = krumScores(distances, n, range(n), n - spec.f - 2)
  return { scores, ranking: rankByScore(scores) }
}
