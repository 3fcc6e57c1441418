import { coordinateMeanStd } from './statistics.ts'
import { AttackInputError, checkView } from './view.ts'
import type { AttackerView } from './view.ts'

/** Xie et al. 2020 use a small epsilon (0.1) against robust rules, a large one against the mean. */
export const DEFAULT_IPM_EPSILON = 0.1

/**
 * Inner-product manipulation (Xie et al. 2020, "Fall of Empires"): send -epsilon * mean of the benign deltas.
 * A mean of n - f honest and f such updates has a negative inner product with the honest mean once
 * epsilon > (n - f) / f; a small epsilon hides near the honest cluster's origin side and drags robust rules.
 */
export function ipm (view: AttackerView, epsilon = DEFAULT_IPM_EPSILON): Float32Array {
  checkView(view, 'ipm')
  if (view.benign.length < 1) throw new AttackInputError('ipm needs at least 1 benign delta to estimate the honest mean')
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) throw new AttackInputError(`ipm: epsilon must be a finite number > 0, got ${epsilon}`)
  const { mean } = coordinateMeanStd(view.benign)
  const out = new Float32Array(view.dimension)
  for (let j = 0; j < out.length; j++) out[j] = -epsilon * mean[j]!
  return out
}
