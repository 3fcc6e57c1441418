import { initialWeights, linkHealthModelSpec, weightLayout } from '@fedmesh/learner'
import type { Checkpoint } from '../src/index.ts'

export const spec = linkHealthModelSpec({ seed: 7 })
export const layout = weightLayout(spec)

export function checkpoint (overrides: Partial<Checkpoint> = {}): Checkpoint {
  const weights = initialWeights(spec)
  weights[1]!.data[0] = 0.125 // a non-zero bias, so a lost tensor would show
  return { session: 'link-health/7', version: 3, round: 5, term: 2, weights, savedAt: 1_700_000_000_000, ...overrides }
}
