import { checkView } from './view.ts'
import type { AttackerView } from './view.ts'

/**
 * NaN / Inf payload: the attacker's delta (its own if it trained, zeros otherwise) with non-finite values. By
 * default one coordinate, chosen at random, so a receiver that samples values instead of checking every one
 * misses it, and a plain mean turns the whole coordinate non-finite. `everywhere` poisons every coordinate.
 */
export function nonFinite (view: AttackerView, value: number, everywhere = false): Float32Array {
  checkView(view, Number.isNaN(value) ? 'nan' : 'inf')
  if (Number.isFinite(value)) throw new RangeError(`nonFinite needs NaN or ±Infinity, got ${value}`)
  const out = view.own === undefined ? new Float32Array(view.dimension) : view.own.slice()
  if (everywhere) out.fill(value)
  else out[Math.floor(view.random() * out.length)] = value
  return out
}
