import { standardNormal } from '../model/view.ts'
import type { Random } from '../model/view.ts'

/**
 * How a lying coordinator poisons the aggregate it announces:
 * - shift: add a random direction of L2 norm `norm` (the global model quietly moved elsewhere);
 * - negate: announce the opposite of the honest aggregate (training pushed backwards);
 * - scale: multiply the honest aggregate by `factor`.
 */
export type Lie =
  | { kind: 'shift', norm: number, random: Random }
  | { kind: 'negate' }
  | { kind: 'scale', factor: number }

/**
 * The lying-coordinator transform: given the honest aggregate (an aggregated delta, or the new global weights),
 * the poisoned vector the coordinator publishes instead. Always differs from `honest`, so verifying nodes, which
 * recompute the honest aggregate, see a digest mismatch.
 */
export function lieAboutAggregate (honest: Float32Array, lie: Lie): Float32Array {
  if (!(honest instanceof Float32Array) || honest.length === 0) throw new RangeError('lieAboutAggregate needs a non-empty Float32Array')
  const out = new Float32Array(honest.length)
  switch (lie.kind) {
    case 'shift': {
      if (!(lie.norm > 0) || !Number.isFinite(lie.norm)) throw new RangeError(`shift lie: norm must be a finite number > 0, got ${lie.norm}`)
      const direction = new Float64Array(honest.length)
      let squared = 0
      while (squared === 0) {
        for (let j = 0; j < direction.length; j++) { direction[j] = standardNormal(lie.random); squared += direction[j]! * direction[j]! }
      }
      const k = lie.norm / Math.sqrt(squared)
      for (let j = 0; j < out.length; j++) out[j] = honest[j]! + k * direction[j]!
      break
    }
    case 'negate':
      for (let j = 0; j < out.length; j++) out[j] = -honest[j]!
      break
    case 'scale':
      if (!Number.isFinite(lie.factor) || lie.factor === 1) throw new RangeError(`scale lie: factor must be finite and not 1, got ${lie.factor}`)
      for (let j = 0; j < out.length; j++) out[j] = lie.factor * honest[j]!
      break
    default:
      throw new RangeError(`unknown lie ${JSON.stringify(lie)}; use shift, negate or scale`)
  }
  if (out.every((v, j) => Object.is(v, honest[j]))) {
    // negate of all zeros gives -0 (different bits), but scale of zeros stays zero: make the lie visible anyway
    out[0] = out[0]! + 1
  }
  return out
}
