import { alie } from './alie.ts'
import { gaussianNoise } from './gaussian.ts'
import { DEFAULT_IPM_EPSILON, ipm } from './ipm.ts'
import { nonFinite } from './non-finite.ts'
import { signFlip } from './sign-flip.ts'
import type { AttackerView } from './view.ts'

export type ModelAttackName = 'sign-flip' | 'gaussian' | 'alie' | 'ipm' | 'nan' | 'inf'

export const MODEL_ATTACK_NAMES: readonly ModelAttackName[] = ['sign-flip', 'gaussian', 'alie', 'ipm', 'nan', 'inf']

/** Parameters of the model-poisoning attacks; every one has a default. */
export interface ModelAttackOptions {
  /** sign-flip: multiple of the own delta sent with the opposite sign (default 1). */
  signFlipScale?: number
  /** gaussian: standard deviation of every coordinate (default 1). */
  sigma?: number
  /** alie: shift in standard deviations (default alieZ(n, f)). */
  z?: number
  /** ipm: multiple of the benign mean sent with the opposite sign (default 0.1). */
  epsilon?: number
  /** nan / inf: poison every coordinate instead of one (default false). */
  everywhere?: boolean
}

/** Which parts of the AttackerView each attack reads (besides n, f, dimension and random). */
export const MODEL_ATTACK_INPUTS: Readonly<Record<ModelAttackName, readonly ('own' | 'benign')[]>> = Object.freeze({
  'sign-flip': ['own'],
  gaussian: [],
  alie: ['benign'],
  ipm: ['benign'],
  nan: [],
  inf: []
})

export const DEFAULT_MODEL_ATTACK_OPTIONS = Object.freeze({
  signFlipScale: 1,
  sigma: 1,
  epsilon: DEFAULT_IPM_EPSILON,
  everywhere: false
})

/** The delta a Byzantine node sends instead of its honest one. Throws AttackInputError if the view lacks an input. */
export function poisonDelta (attack: ModelAttackName, view: AttackerView, options: ModelAttackOptions = {}): Float32Array {
  switch (attack) {
    case 'sign-flip': return signFlip(view, options.signFlipScale ?? DEFAULT_MODEL_ATTACK_OPTIONS.signFlipScale)
    case 'gaussian': return gaussianNoise(view, options.sigma ?? DEFAULT_MODEL_ATTACK_OPTIONS.sigma)
    case 'alie': return alie(view, options.z)
    case 'ipm': return ipm(view, options.epsilon ?? DEFAULT_MODEL_ATTACK_OPTIONS.epsilon)
    case 'nan': return nonFinite(view, Number.NaN, options.everywhere ?? false)
    case 'inf': return nonFinite(view, Number.POSITIVE_INFINITY, options.everywhere ?? false)
    default: throw new RangeError(`unknown model attack '${String(attack)}'; expected one of ${MODEL_ATTACK_NAMES.join(', ')}`)
  }
}

export function isModelAttack (name: string): name is ModelAttackName {
  return (MODEL_ATTACK_NAMES as readonly string[]).includes(name)
}
