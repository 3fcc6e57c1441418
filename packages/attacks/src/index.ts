export { ATTACK_NAMES, ATTACK_STAGE, UnknownAttackError, isAttackName, parseAttack } from './names.ts'
export type { AttackName, AttackStage } from './names.ts'

export type { AttackerView, Random } from './model/view.ts'
export { AttackInputError } from './model/view.ts'
export {
  poisonDelta, isModelAttack, MODEL_ATTACK_NAMES, MODEL_ATTACK_INPUTS, DEFAULT_MODEL_ATTACK_OPTIONS
} from './model/poison.ts'
export type { ModelAttackName, ModelAttackOptions } from './model/poison.ts'
export { signFlip } from './model/sign-flip.ts'
export { gaussianNoise } from './model/gaussian.ts'
export { alie, alieZ } from './model/alie.ts'
export { ipm, DEFAULT_IPM_EPSILON } from './model/ipm.ts'
export { nonFinite } from './model/non-finite.ts'
export { coordinateMeanStd, inverseNormalCdf } from './model/statistics.ts'

export { garbagePayload } from './wire/garbage.ts'
export { oversizedUpdatePayload } from './wire/oversized.ts'
export { deflateBombPayload, deflateBombBytesFor } from './wire/deflate-bomb.ts'
export { nonFiniteUpdatePayload } from './wire/non-finite.ts'

export { lieAboutAggregate } from './coordinator/lying.ts'
export type { Lie } from './coordinator/lying.ts'

export { labelFlipData, DEFAULT_LABEL_FLIP } from './data/label-flip.ts'
