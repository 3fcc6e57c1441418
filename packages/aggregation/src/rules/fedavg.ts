import { addWeightedInOrder, toFloat32 } from '../vector-math.ts'
import { noScores } from './rule.ts'
import type { RuleInput, RuleOutput } from './rule.ts'

/**
 * FedAvg (McMahan et al. 2017): the sample-weighted mean Σ (s_i / S) x_i. Not Byzantine-robust: one update
 * can move it arbitrarily far. Weights are normalised first so huge sample counts cannot overflow the products.
 */
export function fedAvg ({ vectors, samples, dimension }: RuleInput): RuleOutput {
  const n = vectors.length
  let total = 0
  for (let i = 0; i < n; i++) total += samples[i]!
  const selected: number[] = []
  const weights: number[] = []
  for (let i = 0; i < n; i++) {
    const weight = samples[i]! / total
    if (weight === 0) continue
    selected.push(i)
    weights.push(weight)
  }
  const acc = new Float64Array(dimension)
  addWeightedInOrder(acc, vectors, selected, weights)
  return { aggregate: toFloat32(acc), selected, scores: noScores(n) }
}
