import { labelFlipper } from '@fedmesh/learner'
import type { LabelFlip, MnistData } from '@fedmesh/learner'

/** The untargeted flip l -> 9 - l (Fang et al. 2020, Tolpegin et al. 2020). */
export const DEFAULT_LABEL_FLIP: LabelFlip = Object.freeze({ kind: 'reverse' })

/**
 * Label-flip attacker's local data: the same images with flipped labels. The flipping itself is the learner's
 * (tasks/mnist/label-flip.ts, applied when it builds the examples); this only checks the flip and marks the data.
 */
export function labelFlipData (data: MnistData, flip: LabelFlip = DEFAULT_LABEL_FLIP): MnistData {
  labelFlipper(flip) // throws on a flip naming invalid classes
  return { ...data, labelFlip: flip }
}
