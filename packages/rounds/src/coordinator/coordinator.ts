import { checkPreconditions, AggregationError, AggregationInputError } from '@fedmesh/aggregation'
import type { AggregatorSpec } from '@fedmesh/aggregation'
import { encodeGlobalModelChunks, encodeRoundOpenChunks, globalModelHeader, MAX_HELD_DIGESTS } from '@fedmesh/updates'
import type { GlobalModel, RoundOpen, Tensor } from '@fedmesh/updates'
import { aggregateRound } from '../aggregate/round-aggregate.ts'
import type { HeldUpdate, RoundAggregate } from '../aggregate/round-aggregate.ts'
import type { BaseModel } from '../verification/verify.ts'
import type { ExtensionReason, RoundsEvent } from '../types.ts'

export interface CoordinatorConfig {
  self: string
  session: string
  aggregator: AggregatorSpec
  /** The deadline closes a round only with at least this many updates; checked against the rule at construction. */
  minParticipants: number
  /** Round duration announced to participants (from receipt). */
  deadlineMs: number
  /**
   * How long the last f expected members are waited for once all the others reported: half the spread of the
   * arrivals so far, at least `lastFWaitMinMs` (default 1 s, for updates in flight) and at most `lastFWaitMs`
   * (default 6 s).
   */
  lastFWaitMs?: number
  lastFWaitMinMs?: number
  /**
   * In a round this coordinator took over (failover), the wait for the last f is at most this; default
   * TAKEOVER_LAST_F_WAIT_MS.
   */
  takeoverLastFWaitMs?: number
  maxChunkBytes?: number
  /** Default aggregateRound. */
  aggregate?: (base: readonly Tensor[], updates: readonly HeldUpdate[], spec: AggregatorSpec) => RoundAggregate
}

/**
 * The most a round taken over after a failover waits for its last f members: enough for updates that arrive together
 * with the others (several chunks each), not the 1 s floor of other rounds. That round is already late by the takeover
 * and the whole session waits for its model; at 20 tabs on 2 cores the full floor was spent in the slowest failovers
 * (docs/benchmarks.md, thirty-fourth session). The cost is at most f honest stragglers left out of that one round
 * (not suspected), as after any wait.
 */
export const TAKEOVER_LAST_F_WAIT_MS = 250

export interface OpenRound {
  open: RoundOpen
  openedAt: number
  deadlineAt: number
  expected: Set<string>
  extensions: number
  failover: boolean
  /** When every expected member but at most f had reported (with minParticipants in hand), and until when the rest are waited for. */
  mostReportedAt?: number
  lastFUntil?: number
}

export type CloseDecision =
  | { action: 'wait' }
  | { action: 'extend', reason: ExtensionReason, detail: string, have: number, need: number, waitingFor: string[] }
  | { action: 'close', inputs: HeldUpdate[], stragglers: string[] }

export interface ClosedRound {
  model: GlobalModel
  aggregate: RoundAggregate
  chunks: Uint8Array[]
  events: RoundsEvent[]
}

/**
 * The coordinator's half of a round (design steps 1 and 3): open, decide when to close, aggregate, publish.
 * It owns no updates: the caller passes the updates it holds for the round, so a node that takes over after
 * failover continues with everything it has already received.
 */
export class RoundCoordinator {
  readonly config: CoordinatorConfig
  current: OpenRound | undefined

  constructor (config: CoordinatorConfig) {
    if (!Number.isInteger(config.minParticipants) || config.minParticipants < 1) throw new RangeError(`minParticipants must be an integer >= 1, got ${config.minParticipants}`)
    if (!Number.isInteger(config.deadlineMs) || config.deadlineMs < 1) throw new RangeError(`deadlineMs must be an integer >= 1, got ${config.deadlineMs}`)
    // a configuration the rule cannot satisfy even with minParticipants updates stops here, saying what it needs
    try {
      checkPreconditions(config.minParticipants, config.aggregator)
    } catch (err) {
      throw new RangeError(`minParticipants=${config.minParticipants} cannot satisfy the aggregator: ${(err as Error).message}`)
    }
    this.config = config
  }

  /**
   * Opens (or, after failover, re-opens) `round` on `base` under `term`; returns the chunk to publish. `deadlineAt`
   * (default now + deadlineMs) is when the round may close short of expected members: a failover keeps what is left
   * of the round's deadline rather than granting a new one. `held`: the digests of the round's updates this node
   * already holds, listed in the announcement (the first MAX_HELD_DIGESTS).
   */
  open (round: number, term: number, base: BaseModel, expected: Set<string>, now: number, failover: boolean, deadlineAt = now + this.config.deadlineMs, held: readonly string[] = []): { open: RoundOpen, chunks: Uint8Array[] } {
    const open: RoundOpen = {
      session: this.config.session,
      round,
      term,
      coordinator: this.config.self,
      baseVersion: base.version,
      baseDigest: base.digest,
      deadlineMs: this.config.deadlineMs,
      minParticipants: this.config.minParticipants,
      aggregator: { ...this.config.aggregator },
      // which updates need not come again (RoundOpen.held): on a takeover members re-publish only the others
      ...(held.length > 0 ? { held: held.slice(0, MAX_HELD_DIGESTS) } : {})
    }
    this.current = { open, openedAt: now, deadlineAt, expected, extensions: 0, failover }
    return { open, chunks: this.announce(open) }
  }

  /**
   * Close when every expected member (still alive) reported; when all but at most f did, a short wait later (see
   * lastFWait); else at the deadline with at least minParticipants; below that at the deadline, extend. `held` are the
   * round's updates in arrival order; quarantined senders and second updates of a sender are left out here.
   *
   * Why the last f are waited for only briefly: the rule tolerates f Byzantine members, and one that withholds its
   * update (or sends garbage that never reaches this node: gossipsub drops it at the first hop) looks exactly like a
   * slow honest one. Waiting for it until the deadline would let f attackers hold every round that long; the cost of
   * the short wait is at most f honest stragglers per round, left out (not suspected), as at the deadline.
   * If every one of those last f is `late` (missed the last rounds, LateMembers), the round closes without the wait;
   * in a round taken over (failover) the wait is at most takeoverLastFWaitMs.
   */
  decide (held: readonly HeldUpdate[], alive: ReadonlySet<string>, quarantined: (peer: string) => boolean, now: number, late: (peer: string) => boolean = () => false): CloseDecision {
    const c = this.current
    if (c === undefined) return { action: 'wait' }
    const { inputs, waitingFor } = roundInputs(held, c.expected, alive, quarantined)
    const need = this.config.minParticipants
    if (closesWithoutWait(inputs, waitingFor, need, this.config.aggregator.f ?? 0, late)) return { action: 'close', inputs, stragglers: waitingFor.sort() }
    if (waitingFor.length <= (this.config.aggregator.f ?? 0) && inputs.length >= need) {
      if (c.mostReportedAt === undefined) {
        c.mostReportedAt = now
        c.lastFUntil = now + this.lastFWait(inputs, c.openedAt, c.failover)
      }
      if (now >= Math.min(c.deadlineAt, c.lastFUntil ?? now)) return { action: 'close', inputs, stragglers: waitingFor.sort() }
      return { action: 'wait' }
    }
    if (now < c.deadlineAt) return { action: 'wait' }
    if (inputs.length >= need) return { action: 'close', inputs, stragglers: waitingFor.sort() }
    let detail = `${inputs.length} updates at the deadline, ${need} needed (minParticipants)`
    let reason: ExtensionReason = 'below-min-participants'
    try {
      checkPreconditions(Math.max(inputs.length, 1), this.config.aggregator)
    } catch (err) {
      reason = 'aggregation-precondition'
      detail = `${(err as Error).message} (have ${inputs.length} updates)`
    }
    return { action: 'extend', reason, detail, have: inputs.length, need, waitingFor: waitingFor.sort() }
  }

  /**
   * The wait for the last f, from the arrivals of the others: half the time between the first and the last of them,
   * or three mean gaps between arrivals if that is shorter. Honest members that trained alike arrive alike, so one
   * more than half that spread (or several times the usual gap) behind them is unlikely to be an honest straggler
   * about to report; a fixed wait would instead add its whole length to every round in which an attacker withholds.
   * The two agree up to 7 arrivals; with more, the gap keeps the wait from growing with the spread that many members
   * sharing a few cores produce (20 tabs on 2 cores: 17 arrivals over 3-5 s, waits of 2-2.5 s by half the spread).
   * At least lastFWaitMinMs (chunks in flight), at most lastFWaitMs (the earlier fixed wait), or in a round taken over
   * (`failover`) at most takeoverLastFWaitMs.
   * A Byzantine member can stretch the spread (report early) but not beyond lastFWaitMs.
   * Arrivals count from this coordinator's opening of the round: after a failover it re-opens a round whose updates
   * it mostly holds already (received over the whole earlier part of the round) and members resend the rest at once,
   * so the spread that says how long to wait is that of the answers to its own announcement.
   */
  private lastFWait (inputs: readonly HeldUpdate[], openedAt: number, failover: boolean): number {
    const max = Math.min(this.config.lastFWaitMs ?? 6_000, failover ? this.config.takeoverLastFWaitMs ?? TAKEOVER_LAST_F_WAIT_MS : Infinity)
    const min = Math.min(this.config.lastFWaitMinMs ?? 1_000, max)
    let first = Infinity
    let last = -Infinity
    for (const h of inputs) {
      const at = Math.max(h.receivedAt, openedAt)
      if (at < first) first = at
      if (at > last) last = at
    }
    const spread = inputs.length > 1 ? last - first : 0
    const gaps = Math.max(1, inputs.length - 1)
    return Math.min(max, Math.max(min, Math.min(spread / 2, 3 * spread / gaps)))
  }

  /** Extends the open round by one more deadline and re-announces it (for nodes that missed the first one). */
  extend (now: number): Uint8Array[] {
    const c = this.current
    if (c === undefined) return []
    c.deadlineAt = now + this.config.deadlineMs
    c.extensions++
    return this.announce(c.open)
  }

  /**
   * Aggregates `inputs` on `base` and builds the global model. An update the rule refuses as malformed is dropped
   * and the rest aggregated; a precondition failure comes back as an 'aggregation-error' event and no model.
   */
  close (inputs: HeldUpdate[], base: BaseModel, now: number, stragglers: string[]): ClosedRound | { error: string } {
    const c = this.current
    if (c === undefined) return { error: 'no round is open' }
    let remaining = inputs
    for (;;) {
      try {
        const aggregate = (this.config.aggregate ?? aggregateRound)(base.tensors, remaining, this.config.aggregator)
        const model: GlobalModel = {
          session: this.config.session,
          round: c.open.round,
          term: c.open.term,
          version: base.version + 1,
          coordinator: this.config.self,
          includedDigests: aggregate.includedDigests,
          scores: aggregate.scores,
          rule: this.config.aggregator.rule,
          tensors: aggregate.tensors,
          weightsDigest: aggregate.weightsDigest
        }
        // gossiped without its weights: verifiers recompute them (globalModelHeader)
        const encoded = encodeGlobalModelChunks(globalModelHeader(model), this.config.maxChunkBytes === undefined ? {} : { maxChunkBytes: this.config.maxChunkBytes })
        this.current = undefined
        return {
          model,
          aggregate,
          chunks: encoded.chunks,
          events: [{
            type: 'round-closed',
            round: c.open.round,
            included: remaining.length,
            expected: c.expected.size,
            stragglers,
            durationMs: now - c.openedAt,
            // how long the close came after the last input arrived here (decision and timers, not delivery)
            ...(remaining.length > 0 ? { lastInputMs: now - Math.max(...remaining.map(h => h.receivedAt)) } : {}),
            ...(c.mostReportedAt !== undefined ? { lastFWaitMs: now - c.mostReportedAt } : {})
          }]
        }
      } catch (err) {
        if (err instanceof AggregationInputError && err.updateId !== undefined) {
          remaining = remaining.filter(h => h.digest !== err.updateId)
          continue
        }
        if (err instanceof AggregationError) return { error: err.message }
        throw err
      }
    }
  }

  private announce (open: RoundOpen): Uint8Array[] {
    return encodeRoundOpenChunks(open, this.config.maxChunkBytes === undefined ? {} : { maxChunkBytes: this.config.maxChunkBytes }).chunks
  }
}

/**
 * A round's inputs as a coordinator counts them: the first update of each sender not quarantined, in arrival order;
 * and the expected members still alive and not quarantined that have not reported (`waitingFor`).
 */
export function roundInputs (held: readonly HeldUpdate[], expected: ReadonlySet<string>, alive: ReadonlySet<string>, quarantined: (peer: string) => boolean): { inputs: HeldUpdate[], waitingFor: string[] } {
  const inputs: HeldUpdate[] = []
  const senders = new Set<string>()
  for (const h of held) {
    if (senders.has(h.from) || quarantined(h.from)) continue
    senders.add(h.from)
    inputs.push(h)
  }
  return { inputs, waitingFor: [...expected].filter(p => alive.has(p) && !senders.has(p) && !quarantined(p)) }
}

/** Close at once: enough inputs, and nobody is missing but at most f members that all missed the last rounds. */
export function closesWithoutWait (inputs: readonly HeldUpdate[], waitingFor: readonly string[], minParticipants: number, f: number, late: (peer: string) => boolean): boolean {
  return inputs.length >= minParticipants && waitingFor.length <= f && waitingFor.every(late)
}
