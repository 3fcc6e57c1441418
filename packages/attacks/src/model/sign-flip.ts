import { AttackInputError, checkView } from './view.ts'
import type { AttackerView } from './view.ts'

/**
 * Sign flip: send -scale * own honest delta. scale 1 is the plain sign flip; scale n/f is explicit boosting
 * (Bhagoji et al. 2019), which cancels the 1/n share a mean gives each update.
 */
export function signFlip (view: AttackerView, scale = 1): Float32Array {
  checkView(view, 'sign-flip')
  if (!(scale > 0) || !Number.isFinite(scale)) throw new AttackInputError(`sign-flip: scale must be a finite number > 0, got ${scale}`)
  const own = view.own
  if (own === undefined) throw new AttackInputError('sign-flip needs the attacker\'s own honest delta (view.own): train first, then flip')
  const out = new Float32Array(own.length)
  for (let j = 0; j < own.length; j++) out[j] = -scale * own[j]!
  return out
}
