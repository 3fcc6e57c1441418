/**
 * Every attacker behaviour a node can be started with (node configuration or URL parameter `attack=`), and
 * where in the pipeline each one acts.
 */
export const ATTACK_NAMES = [
  'none',
  'sign-flip',
  'gaussian',
  'alie',
  'ipm',
  'label-flip',
  'nan',
  'inf',
  'garbage',
  'oversized',
  'deflate-bomb',
  'lying-coordinator',
  'hidden-input-coordinator',
  'stalling-coordinator'
] as const

export type AttackName = typeof ATTACK_NAMES[number]

/**
 * - model: replaces the delta a node sends (poisonDelta);
 * - data: poisons the local training data, the delta is then trained honestly (label flip, mnist only);
 * - wire: replaces the encoded update payload with hostile bytes (garbagePayload, oversizedUpdatePayload,
 *   deflateBombPayload, nonFiniteUpdatePayload: the honest encoder refuses NaN/Inf, so a node sends them at this stage; poisonDelta's
 *   'nan' / 'inf' give the same poison as a Float32Array for in-memory simulations);
 * - coordinator: poisons the aggregate when this node coordinates (lieAboutAggregate); hidden-input-coordinator also
 *   lists an input that was never sent, so that no node can recompute the model (it can only fail to check it);
 *   stalling-coordinator keeps leading but never opens a round (it publishes nothing on the model topic).
 */
export type AttackStage = 'none' | 'model' | 'data' | 'wire' | 'coordinator'

export const ATTACK_STAGE: Readonly<Record<AttackName, AttackStage>> = Object.freeze({
  none: 'none',
  'sign-flip': 'model',
  gaussian: 'model',
  alie: 'model',
  ipm: 'model',
  nan: 'wire',
  inf: 'wire',
  'label-flip': 'data',
  garbage: 'wire',
  oversized: 'wire',
  'deflate-bomb': 'wire',
  'lying-coordinator': 'coordinator',
  'hidden-input-coordinator': 'coordinator',
  'stalling-coordinator': 'coordinator'
})

export class UnknownAttackError extends RangeError {
  constructor (message: string) {
    super(message)
    this.name = 'UnknownAttackError'
  }
}

export function isAttackName (value: unknown): value is AttackName {
  return typeof value === 'string' && (ATTACK_NAMES as readonly string[]).includes(value)
}

/**
 * Parses a configured attack name (surrounding spaces and case are ignored, so `attack=ALIE` works).
 * Absent or empty means 'none'. Throws UnknownAttackError naming the valid choices otherwise.
 */
export function parseAttack (value: string | null | undefined): AttackName {
  if (value === undefined || value === null) return 'none'
  if (typeof value !== 'string') throw new UnknownAttackError(`attack must be a string; expected one of ${ATTACK_NAMES.join(', ')}`)
  const name = value.trim().toLowerCase()
  if (name === '') return 'none'
  if (isAttackName(name)) return name
  throw new UnknownAttackError(`unknown attack '${value}'; expected one of ${ATTACK_NAMES.join(', ')}`)
}
