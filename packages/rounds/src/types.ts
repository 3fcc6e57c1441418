import type { RoundOpen } from '@fedmesh/updates'

/** Milliseconds; injected so that tests and simulations drive time. */
export interface Clock {
  now(): number
}

/** The two gossipsub topics this package publishes on: `fedmesh/updates/1` and `fedmesh/model/1`. */
export type Topic = 'updates' | 'model'

export interface Publish {
  topic: Topic
  data: Uint8Array
}

/** What a decision produced: messages to publish and events for the node service. */
export interface Output {
  publish: Publish[]
  events: RoundsEvent[]
}

/** gossipsub's verdict for an inbound message: forward it, drop it quietly, or drop it and penalise the forwarder. */
export type Verdict = 'accept' | 'ignore' | 'reject'

export interface InboundResult extends Output {
  verdict: Verdict
  /** Why it was not acted upon (dropped, or parked until something else arrives). */
  reason?: string
  detail?: string
}

export type RoundsEvent =
  /** Train from the current model (version `baseVersion`) and call submitUpdate before `deadlineAt`. */
  | { type: 'train', session: string, round: number, term: number, baseVersion: number, deadlineAt: number }
  /** Round `round` is open under `term` (failover: it re-opens a round an earlier coordinator opened). */
  | { type: 'round-opened', round: number, term: number, coordinator: string, baseVersion: number, failover: boolean }
  /** This node accepted a new global model: verified, or computed by itself as coordinator. */
  | { type: 'model-accepted', version: number, round: number, term: number, coordinator: string, digest: string, included: string[], selected: string[], excluded: string[], verified: boolean }
  /** This node refused the coordinator's model; the service should stop following it (Election.distrust). */
  | { type: 'model-rejected', version: number, round: number, term: number, coordinator: string, reason: VerificationFailure, detail: string }
  /**
   * A model waits for included updates this node never received (`digests`, of round `round`): ask `from` (the
   * coordinator) or a neighbour for them (/fedmesh/updates/1.0.0) and feed them in as if gossiped (onUpdateMessage).
   * updateFetchAfterMs after it arrived, and again every updateFetchAfterMs while some are still missing (three times
   * at most, `digests` then the ones still missing); the grace period still bounds the wait.
   */
  | { type: 'fetch-updates', round: number, version: number, digests: string[], from: string }
  /** A newer model exists than this node holds: fetch `version` (weights digest `digest`) over /fedmesh/model/1.0.0. */
  | { type: 'fetch-model', version: number, digest: string, from: string }
  /**
   * No f + 1 peers vouched, within vouchTimeoutMs, for model `version` that `from` (a coordinator's announcement or
   * head) said to fetch: it is not adopted. The service should stop following `from` if it leads.
   */
  | { type: 'model-unvouched', version: number, digest: string, from: string, waitedMs: number }
  /**
   * The leader this node follows made no progress for stallTimeoutMs (no later round opened, no later model), although
   * the session is not finished. The service should stop following it for a while, so that another node coordinates.
   */
  | { type: 'coordinator-stalled', coordinator: string, term: number, version: number, sinceMs: number }
  /** This node adopted a model it did not verify (a late joiner catching up); it trains in the round it is the base of, if still open. */
  | { type: 'model-fetched', version: number, digest: string }
  /** A round opened under a higher term replaces a model this node held from a lower term (both for the same version). */
  | { type: 'model-rolled-back', version: number, toVersion: number }
  /** As coordinator: the deadline passed with too few updates, so the round stays open longer (re-announced). */
  /** `waitingFor`: expected members, alive and not quarantined, whose update this coordinator does not hold. */
  | { type: 'round-extended', round: number, reason: ExtensionReason, detail: string, have: number, need: number, waitingFor: string[] }
  /**
   * As coordinator: the round closed and its model was published. lastFWaitMs: how long it waited for the last f
   * expected members once the others had reported; aggregateMs: aggregating and encoding the model (session clock).
   */
  | { type: 'round-closed', round: number, included: number, expected: number, stragglers: string[], durationMs: number, lastInputMs?: number, lastFWaitMs?: number, aggregateMs?: number }
  /** As coordinator: the aggregation rule refused the inputs (for example too few updates for f). */
  | { type: 'aggregation-error', round: number, message: string }
  /** Suspicion of `peer` crossed the quarantine threshold: its updates are left out of aggregates this node computes. */
  | { type: 'quarantined', peer: string, score: number, reasons: Record<string, number> }
  | { type: 'released', peer: string, score: number }

export type ExtensionReason = 'below-min-participants' | 'aggregation-precondition'

/** Why a node refuses a global model (docs/protocol.md, "Rounds"). */
export type VerificationFailure =
  /** An included update this node never received, after the grace period. */
  | 'missing-update'
  /** The model's version, round or base does not follow the model this node holds. */
  | 'wrong-base'
  /** No round open (of this round and term, from this coordinator) is known, after the grace period. */
  | 'unknown-round'
  /** The rule in the model is not the one the round was opened with. */
  | 'wrong-rule'
  /** Fewer updates than the round's minParticipants. */
  | 'too-few-updates'
  /** includedDigests not in ascending order (the canonical aggregation order). */
  | 'unsorted-digests'
  /** Two included updates from one sender. */
  | 'duplicate-sender'
  /** The rule cannot run on the included updates (e.g. Krum with n <= 2f+2). */
  | 'aggregation-failed'
  /** The recomputed weights hash to another digest than the announced one. */
  | 'digest-mismatch'
  /** The announced scores differ from the recomputed ones. */
  | 'score-mismatch'
  /** The announced tensors are not the weights weightsDigest names. */
  | 'weights-mismatch'
