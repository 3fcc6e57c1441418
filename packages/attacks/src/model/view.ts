/** A uniform generator in [0, 1), injected so every attack is reproducible from a seed. */
export type Random = () => number

/**
 * What a Byzantine node knows when it forms its update for one round. Updates are gossiped to every node (so
 * every node can verify the aggregate), hence colluding attackers can read the honest deltas before sending:
 * the omniscient-within-the-round threat model of ALIE and IPM.
 */
export interface AttackerView {
  /** The attacker's own honestly trained delta this round; only sign-flip needs it. */
  own?: Float32Array
  /** Honest deltas observed on gossip this round (dequantised); ALIE needs >= 2, IPM >= 1. */
  benign: readonly Float32Array[]
  /** Updates the aggregator will see this round, honest and Byzantine. */
  n: number
  /** Byzantine (colluding) updates among the n. */
  f: number
  /** Length of every delta (the model's parameter count). */
  dimension: number
  random: Random
}

/** An attacker view that cannot feed the requested attack (missing or mis-sized inputs). */
export class AttackInputError extends RangeError {
  constructor (message: string) {
    super(message)
    this.name = 'AttackInputError'
  }
}

export function checkView (view: AttackerView, attack: string): void {
  const { n, f, dimension } = view
  if (!Number.isInteger(dimension) || dimension < 1) throw new AttackInputError(`${attack}: dimension must be a positive integer, got ${dimension}`)
  if (!Number.isInteger(n) || n < 1) throw new AttackInputError(`${attack}: n must be a positive integer, got ${n}`)
  if (!Number.isInteger(f) || f < 1 || f > n) throw new AttackInputError(`${attack}: f must be an integer in [1, n=${n}], got ${f}`)
  if (typeof view.random !== 'function') throw new AttackInputError(`${attack}: random must be a function returning [0, 1)`)
  if (view.own !== undefined) checkLength(view.own, dimension, `${attack}: own delta`)
  view.benign.forEach((b, i) => checkLength(b, dimension, `${attack}: benign delta ${i}`))
}

function checkLength (v: Float32Array, dimension: number, what: string): void {
  if (!(v instanceof Float32Array)) throw new AttackInputError(`${what} must be a Float32Array`)
  if (v.length !== dimension) throw new AttackInputError(`${what} has ${v.length} values, the model has ${dimension}`)
}

/** Standard normal draw (Box–Muller) from a uniform generator. */
export function standardNormal (random: Random): number {
  const u = 1 - random() // (0, 1]: log(0) would be -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
}
