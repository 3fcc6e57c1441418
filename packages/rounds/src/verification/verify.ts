import { AggregationError } from '@fedmesh/aggregation'
import type { AggregatorSpec } from '@fedmesh/aggregation'
import type { GlobalModel, RoundOpen, Tensor } from '@fedmesh/updates'
import { aggregateRound } from '../aggregate/round-aggregate.ts'
import type { HeldUpdate, RoundAggregate } from '../aggregate/round-aggregate.ts'
import type { VerificationFailure } from '../types.ts'

/** The model a global model is computed from. */
export interface BaseModel {
  version: number
  digest: string
  tensors: Tensor[]
}

export interface VerifyInput {
  model: GlobalModel
  base: BaseModel
  /** The round announcement the model closes (same round, term and coordinator). */
  open: RoundOpen
  /** Looks up an update of round `model.round` by digest. */
  lookup: (digest: string) => HeldUpdate | undefined
  /** Default aggregateRound (injectable, e.g. memoised in simulations). */
  aggregate?: (base: readonly Tensor[], updates: readonly HeldUpdate[], spec: AggregatorSpec) => RoundAggregate
}

export type VerifyResult =
  | { ok: true, aggregate: RoundAggregate, inputs: HeldUpdate[] }
  /** Some included updates have not arrived (yet): wait, then fail with 'missing-update'. */
  | { ok: false, reason: 'missing-update', detail: string, missing: string[] }
  | { ok: false, reason: Exclude<VerificationFailure, 'missing-update'>, detail: string }

/**
 * A failure that says this node could not check the model (it never saw the round announced, or never received an
 * included update, after the grace), not that the model is wrong: no proof against its coordinator, and the node
 * still adopts the model once f + 1 peers vouch for it. Counted as `unverifiable`, apart from `rejected`.
 */
export function isUnverifiable (reason: VerificationFailure): boolean {
  return reason === 'missing-update' || reason === 'unknown-round'
}

/**
 * Recomputes a coordinator's global model from the updates this node holds and compares its weights' digest (and the
 * weights, if the model carries them) bit for bit (design step 4).
 * Cheap structural checks first, the aggregation last. Never throws.
 */
export function verifyGlobalModel ({ model, base, open, lookup, aggregate: compute = aggregateRound }: VerifyInput): VerifyResult {
  if (model.version !== base.version + 1 || model.round !== open.round || open.baseVersion !== base.version || open.baseDigest !== base.digest) {
    return { ok: false, reason: 'wrong-base', detail: `model v${model.version} of round ${model.round} (opened on v${open.baseVersion}), this node holds v${base.version}` }
  }
  if (model.rule !== open.aggregator.rule) return { ok: false, reason: 'wrong-rule', detail: `aggregated with '${model.rule}', the round was opened with '${open.aggregator.rule}'` }
  const digests = model.includedDigests
  for (let i = 1; i < digests.length; i++) {
    if (!((digests[i - 1] as string) < (digests[i] as string))) return { ok: false, reason: 'unsorted-digests', detail: `included digest ${i} is not above digest ${i - 1}` }
  }
  if (digests.length < open.minParticipants) return { ok: false, reason: 'too-few-updates', detail: `${digests.length} updates, the round needs ${open.minParticipants}` }

  const inputs: HeldUpdate[] = []
  const missing: string[] = []
  const senders = new Set<string>()
  for (const d of digests) {
    const held = lookup(d)
    if (held === undefined) { missing.push(d); continue }
    if (senders.has(held.from)) return { ok: false, reason: 'duplicate-sender', detail: `two included updates from ${held.from}` }
    senders.add(held.from)
    inputs.push(held)
  }
  if (missing.length > 0) return { ok: false, reason: 'missing-update', detail: `${missing.length} of ${digests.length} included updates not received (first ${missing[0]?.slice(0, 12)})`, missing }

  let aggregate: RoundAggregate
  try {
    aggregate = compute(base.tensors, inputs, toSpec(open))
  } catch (err) {
    if (err instanceof AggregationError || err instanceof RangeError) return { ok: false, reason: 'aggregation-failed', detail: err.message }
    return { ok: false, reason: 'aggregation-failed', detail: `unexpected: ${String(err)}` }
  }
  if (aggregate.weightsDigest !== model.weightsDigest) {
    return { ok: false, reason: 'digest-mismatch', detail: `recomputed weights ${aggregate.weightsDigest.slice(0, 16)}…, announced ${model.weightsDigest.slice(0, 16)}…` }
  }
  for (let i = 0; i < digests.length; i++) {
    if (!Object.is(aggregate.scores[i], model.scores[i])) {
      return { ok: false, reason: 'score-mismatch', detail: `score of ${digests[i]?.slice(0, 12)}: recomputed ${aggregate.scores[i]}, announced ${model.scores[i]}` }
    }
  }
  // a gossiped model is a header (the digest above stands for its weights); weights, where a model carries them, must match too
  const mismatch = model.tensors.length === 0 ? undefined : firstDifference(aggregate.tensors, model.tensors)
  if (mismatch !== undefined) return { ok: false, reason: 'weights-mismatch', detail: mismatch }
  return { ok: true, aggregate, inputs }
}

/** The aggregation spec a round announcement carries. */
export function toSpec (open: RoundOpen): AggregatorSpec {
  return { ...open.aggregator, rule: open.aggregator.rule as AggregatorSpec['rule'] }
}

/** Bitwise: -0 differs from 0, and every NaN payload counts. */
function firstDifference (a: readonly Tensor[], b: readonly Tensor[]): string | undefined {
  if (a.length !== b.length) return `${b.length} tensors announced, ${a.length} recomputed`
  for (let t = 0; t < a.length; t++) {
    const x = a[t] as Tensor
    const y = b[t] as Tensor
    if (x.name !== y.name || x.data.length !== y.data.length) return `tensor ${t} is '${y.name}' (${y.data.length}), expected '${x.name}' (${x.data.length})`
    const xi = new Uint32Array(x.data.buffer, x.data.byteOffset, x.data.length)
    const yi = new Uint32Array(y.data.buffer, y.data.byteOffset, y.data.length)
    for (let i = 0; i < xi.length; i++) {
      if (xi[i] !== yi[i]) return `tensor '${x.name}' index ${i}: announced ${y.data[i]}, recomputed ${x.data[i]}`
    }
  }
  return undefined
}
