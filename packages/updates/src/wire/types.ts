import type { QuantizedTensor, Tensor } from '../quantize/types.ts'

/** Who trained a delta, for which round, from which model: everything a receiver checks before the values. */
export interface UpdateHeader {
  session: string
  round: number
  /** Coordinator term the update was trained under. */
  term: number
  /** Version of the global model the delta was trained from. */
  baseVersion: number
  /** Training samples behind the delta (self-reported; only FedAvg weighs by it). */
  samples: number
  /** Peer id of the trainer; must be the gossipsub-verified author. */
  sender: string
}

/** A trainer's quantised delta with its header: the payload of the model-update chunks. */
export interface ModelUpdate extends UpdateHeader {
  tensors: QuantizedTensor[]
}

/** The coordinator's aggregate for a round, float32 so that every node can verify it exactly. */
export interface GlobalModel {
  session: string
  round: number
  term: number
  /** Model version this aggregate becomes (trainers quote it as baseVersion next round). */
  version: number
  /** Peer id of the coordinator that computed it. */
  coordinator: string
  /** SHA-256 hex digests of the update payloads aggregated, in the order the scores refer to. */
  includedDigests: string[]
  /** The rule's score per included digest; NaN where the rule has none (fedavg, median, ...). */
  scores: number[]
  /** Aggregation rule name, e.g. 'krum'. */
  rule: string
  tensors: Tensor[]
  /** digestWeights(tensors): verifiers compare it with the digest of their own recomputation. */
  weightsDigest: string
}

/** How the coordinator aggregates a round: @fedmesh/aggregation's AggregatorSpec, field for field. */
export interface AggregatorSpecWire {
  rule: string
  f?: number
  m?: number
  trim?: number
  clipRadius?: number
  clipIterations?: number
  nnm?: boolean
}

/**
 * The coordinator of election term `term` opens round `round`: train from global model `baseVersion` (whose
 * weights hash to `baseDigest`, see digestWeights) and report within `deadlineMs` of receiving this.
 */
export interface RoundOpen {
  session: string
  round: number
  term: number
  /** Peer id of the coordinator; must be the gossipsub-verified author. */
  coordinator: string
  baseVersion: number
  baseDigest: string
  /** A duration, not a time: clocks of different tabs are not synchronised. */
  deadlineMs: number
  /** The coordinator closes at the deadline only with at least this many updates. */
  minParticipants: number
  aggregator: AggregatorSpecWire
  /**
   * Digests of the round's updates the coordinator already holds when it opens the round (at most MAX_HELD_DIGESTS):
   * some only when it takes the round over from an earlier coordinator. A member of a taken-over round whose update
   * is listed does not publish it again; any other does.
   */
  held?: string[]
}

export const PAYLOAD_KINDS = ['model-update', 'global-model', 'round-open'] as const
export type PayloadKind = typeof PAYLOAD_KINDS[number]

/** The routing fields every chunk repeats from its payload, checked before the chunk is buffered. */
export interface ChunkRouting {
  kind: PayloadKind
  session: string
  round: number
  term: number
}

export interface ChunkMessage extends ChunkRouting {
  /** SHA-256 hex of the whole payload: the update id. */
  digest: string
  index: number
  count: number
  /** Length of the whole payload. */
  totalBytes: number
  data: Uint8Array
}

/** Decoders never throw: bad bytes come back as a reason and a human-readable detail. */
export type DecodeResult<T> =
  | { ok: true, value: T }
  | { ok: false, reason: 'malformed' | 'unsupported-version', detail: string }
