import type { DistanceKernel } from '../distances/pairwise.ts'
import type { ResolvedSpec } from '../preconditions.ts'

/** What every rule receives: validated vectors in id order (index i is the i-th smallest id). */
export interface RuleInput {
  vectors: readonly Float32Array[]
  samples: readonly number[]
  dimension: number
  spec: ResolvedSpec
  previous: Float32Array | undefined
  kernel: DistanceKernel
}

export interface RuleOutput {
  aggregate: Float32Array
  /** Indices into RuleInput.vectors, best first for ranking rules, ascending otherwise. */
  selected: number[]
  /** Per-index score; NaN where the rule has none. */
  scores: Float64Array
}

export function noScores (n: number): Float64Array {
  return new Float64Array(n).fill(Number.NaN)
}
