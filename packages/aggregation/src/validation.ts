import { AggregationInputError } from './errors.ts'
import type { ClientUpdate } from './types.ts'

/**
 * Code-unit order, never localeCompare: locale collation differs between engines and
 * would break the bit-identical recomputation the verifying nodes rely on.
 */
export function compareIds (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Checks the updates and returns them sorted by id (the canonical order every rule computes in).
 * Throws AggregationInputError naming the offending update for a duplicate id, a length mismatch or a non-finite value.
 */
export function canonicalUpdates (updates: readonly ClientUpdate[]): ClientUpdate[] {
  const sorted = [...updates].sort((a, b) => compareIds(a.id, b.id))
  const first = sorted[0]
  if (first === undefined) return sorted
  const dimension = first.delta.length
  for (let i = 0; i < sorted.length; i++) {
    const update = sorted[i] as ClientUpdate
    if (typeof update.id !== 'string') {
      throw new AggregationInputError(`every update needs a string id: got ${typeof update.id}`)
    }
    if (i > 0 && (sorted[i - 1] as ClientUpdate).id === update.id) {
      throw new AggregationInputError(`update id "${update.id}" appears more than once; ids must be unique within a round`, update.id)
    }
    if (!(update.delta instanceof Float32Array)) {
      throw new AggregationInputError(`update "${update.id}" needs its delta as a Float32Array`, update.id)
    }
    if (update.delta.length !== dimension) {
      throw new AggregationInputError(
        `update "${update.id}" has ${update.delta.length} values but update "${first.id}" has ${dimension}; all deltas must have the same length`,
        update.id)
    }
    const bad = firstNonFinite(update.delta)
    if (bad >= 0) {
      throw new AggregationInputError(
        `update "${update.id}" has a non-finite value (${update.delta[bad]}) at index ${bad}; deltas must be finite`, update.id)
    }
  }
  return sorted
}

/** Index of the first NaN or ±Infinity, or -1. */
export function firstNonFinite (values: Float32Array): number {
  for (let k = 0; k < values.length; k++) {
    // x - x is 0 for finite x and NaN for NaN and ±Infinity, so one comparison covers all three.
    const x = values[k] as number
    if (x - x !== 0) return k
  }
  return -1
}

/** FedAvg weights: each sample count must be a finite number >= 0 and at least one must be positive. */
export function checkSampleCounts (updates: readonly ClientUpdate[]): void {
  let total = 0
  for (const update of updates) {
    if (typeof update.samples !== 'number' || !Number.isFinite(update.samples) || update.samples < 0) {
      throw new AggregationInputError(
        `update "${update.id}" has samples=${update.samples}; fedavg needs a finite sample count >= 0`, update.id)
    }
    total += update.samples
  }
  if (!(total > 0)) {
    throw new AggregationInputError('fedavg needs a positive total sample count: every update reported samples=0')
  }
  if (!Number.isFinite(total)) {
    throw new AggregationInputError(`fedavg needs a finite total sample count: the reported counts sum to ${total}`)
  }
}
