import type { DistanceKernel } from './distances/pairwise.ts'
import { AggregationInputError } from './errors.ts'
import { resolveSpec } from './preconditions.ts'
import { bulyan } from './rules/bulyan.ts'
import { centeredClipping } from './rules/centered-clipping.ts'
import { fedAvg } from './rules/fedavg.ts'
import { krum, multiKrum } from './rules/krum.ts'
import { coordinateMedian } from './rules/median.ts'
import { nearestNeighbourMixing } from './rules/nearest-neighbour-mixing.ts'
import type { RuleInput, RuleOutput } from './rules/rule.ts'
import { trimmedMean } from './rules/trimmed-mean.ts'
import type { AggregateOptions, AggregationResult, AggregatorSpec, ClientUpdate, RuleName } from './types.ts'
import { canonicalUpdates, checkSampleCounts, firstNonFinite } from './validation.ts'

const RULES: Record<RuleName, (input: RuleInput) => RuleOutput> = {
  fedavg: fedAvg,
  krum,
  'multi-krum': multiKrum,
  median: coordinateMedian,
  'trimmed-mean': trimmedMean,
  bulyan,
  'centered-clipping': centeredClipping
}

export interface AggregateCallOptions extends AggregateOptions {
  /** Which pairwise-distance kernel to use (default 'auto'); every choice gives the same bits. */
  kernel?: DistanceKernel
}

/**
 * Aggregates one round of updates with the rule in `spec`.
 *
 * Deterministic by construction, because every honest node recomputes the coordinator's aggregate and
 * compares bits: updates are sorted by id (code-unit order) before anything else, so the input order never
 * matters; ties in scores and distances are broken by id; sums run in float64 in an order fixed by id or by
 * sorted value; only correctly rounded IEEE operations are used (see vector-math.ts and distances/lanes.ts);
 * the result is rounded to float32 once.
 *
 * Throws AggregationPreconditionError when n or the spec violate the rule's requirements and
 * AggregationInputError (with `updateId`) for a malformed update.
 */
export function aggregate (updates: readonly ClientUpdate[], spec: AggregatorSpec, options: AggregateCallOptions = {}): AggregationResult {
  const resolved = resolveSpec(updates.length, spec)
  const sorted = canonicalUpdates(updates)
  const ids = sorted.map(u => u.id)
  const dimension = sorted[0]!.delta.length
  if (resolved.rule === 'fedavg') checkSampleCounts(sorted)
  const previous = options.previous
  if (previous !== undefined && resolved.rule === 'centered-clipping') {
    if (!(previous instanceof Float32Array) || previous.length !== dimension) {
      throw new AggregationInputError(`the previous aggregate must be a Float32Array of ${dimension} values like the deltas: got ${previous.length}`)
    }
    const bad = firstNonFinite(previous)
    if (bad >= 0) throw new AggregationInputError(`the previous aggregate has a non-finite value (${previous[bad]}) at index ${bad}`)
  }

  const kernel = options.kernel ?? 'auto'
  let vectors = sorted.map(u => u.delta)
  if (resolved.nnm) vectors = nearestNeighbourMixing(vectors, resolved.f, kernel)
  const output = RULES[resolved.rule]({ vectors, samples: sorted.map(u => u.samples), dimension, spec: resolved, previous, kernel })

  const scores = new Map<string, number>()
  ids.forEach((id, i) => scores.set(id, output.scores[i]!))
  return { aggregate: output.aggregate, selected: output.selected.map(i => ids[i]!), scores, rule: resolved.rule }
}
