import { range, squaredDistanceToCentre, toFloat32 } from '../vector-math.ts'
import type { RuleInput, RuleOutput } from './rule.ts'

/**
 * Centered clipping (Karimireddy, He & Jaggi 2021), L iterations from the centre v (the previous aggregate,
 * or zero):
 *   v <- v + (1/n) Σ_i (x_i - v) · min(1, tau / ‖x_i - v‖)
 * Every clipped term has norm at most tau, so each iteration moves v by at most tau and the result stays
 * within tau·L of the starting centre however far the Byzantine updates are.
 * Scores are the last iteration's clipping factors (1 = not clipped).
 */
export function centeredClipping ({ vectors, dimension, spec, previous }: RuleInput): RuleOutput {
  const n = vectors.length
  const radius = spec.clipRadius
  const centre = previous === undefined ? new Float64Array(dimension) : Float64Array.from(previous)
  const factors = new Float64Array(n)
  const step = new Float64Array(dimension)
  for (let iteration = 0; iteration < spec.clipIterations; iteration++) {
    step.fill(0)
    for (let i = 0; i < n; i++) {
      const x = vectors[i]!
      const distance = Math.sqrt(squaredDistanceToCentre(x, centre))
      const factor = distance <= radius ? 1 : radius / distance
      factors[i] = factor
      // step += factor · (x - centre), written coordinate by coordinate to avoid a temporary vector.
      for (let k = 0; k < dimension; k++) step[k] = step[k]! + factor * (x[k]! - centre[k]!)
    }
    for (let k = 0; k < dimension; k++) centre[k] = centre[k]! + step[k]! / n
  }
  return { aggregate: toFloat32(centre), selected: range(n), scores: factors }
}
