import { coordinateMeanStd, inverseNormalCdf } from './statistics.ts'
import { AttackInputError, checkView } from './view.ts'
import type { AttackerView } from './view.ts'

/**
 * ALIE's z (Baruch et al. 2019, "A Little Is Enough", Algorithm 3): with s = floor(n/2 + 1) - f honest
 * "supporters" needed for a majority, z = Phi^-1((n - s) / n), the largest shift for which s honest updates
 * are still expected to lie further from the mean than the attackers' update. n=50, f=12: z = 0.58;
 * n=20, f=4: z = 0.39.
 */
export function alieZ (n: number, f: number): number {
  if (!Number.isInteger(n) || n < 2) throw new AttackInputError(`alie: n must be an integer >= 2, got ${n}`)
  if (!Number.isInteger(f) || f < 1) throw new AttackInputError(`alie: f must be an integer >= 1, got ${f}`)
  const s = Math.floor(n / 2 + 1) - f
  if (s < 1) throw new AttackInputError(`alie: f=${f} of n=${n} is already a majority (s = floor(n/2+1) - f = ${s}); ALIE's z needs f <= floor(n/2)`)
  return inverseNormalCdf((n - s) / n)
}

/**
 * ALIE: every colluding attacker sends mean - z * std of the benign deltas, coordinate-wise. A small z keeps
 * the update inside the honest spread of every coordinate (so median / trimmed mean cannot single it out) and
 * close to the honest centre (so Krum, measuring distances, even prefers it), while the f identical copies pull
 * every coordinate the same way, round after round.
 */
export function alie (view: AttackerView, z?: number): Float32Array {
  checkView(view, 'alie')
  if (view.benign.length < 2) throw new AttackInputError(`alie needs at least 2 benign deltas to estimate their spread, got ${view.benign.length}`)
  const shift = z ?? alieZ(view.n, view.f)
  if (!Number.isFinite(shift)) throw new AttackInputError(`alie: z must be finite, got ${shift}`)
  const { mean, std } = coordinateMeanStd(view.benign)
  const out = new Float32Array(view.dimension)
  for (let j = 0; j < out.length; j++) out[j] = mean[j]! - shift * std[j]!
  return out
}
