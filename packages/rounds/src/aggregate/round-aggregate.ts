import { aggregate } from '@fedmesh/aggregation'
import type { AggregatorSpec } from '@fedmesh/aggregation'
import { dequantize, digestWeights, flattenTensors, unflattenTensors } from '@fedmesh/updates'
import type { ModelUpdate, Tensor } from '@fedmesh/updates'

/** A validated update this node holds, keyed by the digest of its payload (its id everywhere). */
export interface HeldUpdate {
  digest: string
  update: ModelUpdate
  /** gossipsub-verified author (= update.sender). */
  from: string
  receivedAt: number
  /** The dequantised delta as one flat vector, computed once and kept (every verification reuses it). */
  flat?: Float32Array
}

export interface RoundAggregate {
  tensors: Tensor[]
  weightsDigest: string
  /** Every input digest, ascending: the canonical order, and the order of `scores`. */
  includedDigests: string[]
  scores: number[]
  /** Digests the rule kept (all of them for rules that do not select). */
  selected: string[]
  /** Digests the rule left out (Krum: all but the chosen one). */
  excluded: string[]
}

export function flatDelta (held: HeldUpdate): Float32Array {
  held.flat ??= flattenTensors(dequantize(held.update))
  return held.flat
}

/**
 * New weights = base + rule(deltas), the computation both the coordinator and every verifier run, so it must be
 * bit-for-bit deterministic: @fedmesh/aggregation sorts by id (the digest) and rounds once; dequantisation is
 * int8 * float32 scale rounded to float32; the final add is one float32 rounding per weight.
 * Throws @fedmesh/aggregation's errors (precondition, input) unchanged.
 */
export function aggregateRound (base: readonly Tensor[], updates: readonly HeldUpdate[], spec: AggregatorSpec): RoundAggregate {
  const result = aggregate(updates.map(u => ({ id: u.digest, delta: flatDelta(u), samples: u.update.samples })), spec)
  const baseFlat = flattenTensors(base)
  if (baseFlat.length !== result.aggregate.length) throw new RangeError(`the base model has ${baseFlat.length} weights, the deltas ${result.aggregate.length}`)
  const next = new Float32Array(baseFlat.length)
  for (let i = 0; i < next.length; i++) next[i] = (baseFlat[i] as number) + (result.aggregate[i] as number)
  const tensors = unflattenTensors(next, base)
  const includedDigests = updates.map(u => u.digest).sort()
  const selected = new Set(result.selected)
  return {
    tensors,
    weightsDigest: digestWeights(tensors),
    includedDigests,
    scores: includedDigests.map(d => result.scores.get(d) as number),
    selected: includedDigests.filter(d => selected.has(d)),
    excluded: includedDigests.filter(d => !selected.has(d))
  }
}
