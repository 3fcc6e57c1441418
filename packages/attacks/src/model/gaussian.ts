import { AttackInputError, checkView, standardNormal } from './view.ts'
import type { AttackerView } from './view.ts'

/** Gaussian attack (Blanchard et al. 2017): a delta of independent N(0, sigma^2) coordinates, unrelated to training. */
export function gaussianNoise (view: AttackerView, sigma = 1): Float32Array {
  checkView(view, 'gaussian')
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new AttackInputError(`gaussian: sigma must be a finite number > 0, got ${sigma}`)
  const out = new Float32Array(view.dimension)
  for (let j = 0; j < out.length; j++) out[j] = sigma * standardNormal(view.random)
  return out
}
