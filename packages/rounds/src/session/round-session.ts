import type { AggregatorSpec } from '@fedmesh/aggregation'
import { checkGlobalModel, decodeGlobalModel, decodeRoundOpen, digestWeights, Reassembler, UpdateRejectCounters } from '@fedmesh/updates'
import type { ChunkAdmission, GlobalModel, ModelUpdate, Rejection, RoundOpen, Tensor, TensorSpec, UpdateRejectReason } from '@fedmesh/updates'
import { aggregateRound } from '../aggregate/round-aggregate.ts'
import type { HeldUpdate, RoundAggregate } from '../aggregate/round-aggregate.ts'
import { Admission } from '../coordinator/admission.ts'
import { LateMembers } from '../coordinator/late-members.ts'
import { closesWithoutWait, roundInputs, RoundCoordinator, TAKEOVER_LAST_F_WAIT_MS } from '../coordinator/coordinator.ts'
import { heldModel, ModelState } from '../participant/model-state.ts'
import type { HeldModel } from '../participant/model-state.ts'
import { RoundParticipant } from '../participant/participant.ts'
import { isAuthorFault, UpdatePool } from '../pool/update-pool.ts'
import type { PoolResult } from '../pool/update-pool.ts'
import { ReasonCounters } from '../status/reason-counters.ts'
import type { RoundsStatus } from '../status/status.ts'
import { SuspicionLedger } from '../suspicion/suspicion.ts'
import type { EvidenceKind, SuspicionChange, SuspicionConfig } from '../suspicion/suspicion.ts'
import type { Clock, InboundResult, Output, RoundsEvent, VerificationFailure } from '../types.ts'
import { isUnverifiable, toSpec, verifyGlobalModel } from '../verification/verify.ts'

export interface RoundSessionConfig {
  /** This node's peer id. */
  self: string
  session: string
  clock: Clock
  /**
   * The model to start from: the session's initial weights (version 0) or a checkpoint. `verified` (default true)
   * is what this node advertises and vouches with: false for a checkpoint it has not recomputed since it started.
   */
  model: { version: number, term?: number, tensors: Tensor[], global?: GlobalModel, verified?: boolean }
  /** L2 bound on a dequantised update (UpdateValidator.maxNorm). */
  maxNorm: number
  /** How this node aggregates when it coordinates. Default Krum with f = 0. */
  aggregator?: AggregatorSpec
  /** Default 3; must satisfy the aggregator (Krum: >= 2f + 3). */
  minParticipants?: number
  /** Round deadline announced when coordinating; default 30 s. */
  deadlineMs?: number
  /** How long a verifier waits for included updates (or the round announcement) still in flight; default 3 s. */
  graceMs?: number
  /**
   * How long a model missing included updates waits for gossip before this node asks its neighbours for them
   * ('fetch-updates'); default a third of graceMs. Gossip usually delivers them first; a verifier that lost one
   * (a congested mesh link, an update outside its window when it arrived) would otherwise reject a good model.
   * Once asked, the model waits up to twice graceMs before it is rejected as missing-update, asking again (for what
   * is still missing) every updateFetchAfterMs, three times at most.
   */
  updateFetchAfterMs?: number
  /**
   * How long this node's update may go without the round closing before it publishes it again; default the round's
   * announced deadline. Gossip does not repeat itself: an update published while the mesh was forming, or before the
   * coordinator joined it, reaches nobody who needs it, and a coordinator that first saw its author after the round
   * opened does not even wait for it (Admission), so without a resend the round could stay below minParticipants.
   */
  resendAfterMs?: number
  /**
   * When another coordinator takes this node's round over without listing its update as held, how long after the
   * update's first publication the copy goes out; default graceMs. An update published moments before the takeover is
   * most likely still on its way (20 tabs: successors re-announced 1-2 s after the close listing 1 of the ~17 updates
   * sent meanwhile), and copies at once put ~17 whole updates into the mesh just as the round waited for the first
   * ones. A copy held back is dropped if the round closes first. The successor waits at least graceMs for updates in
   * flight (coordinate), so the copy of one that was really lost still comes in time. (A later machine showed no
   * effect either way: docs/benchmarks.md, twenty-first session.)
   */
  takeoverCopyAfterMs?: number
  suspicion?: SuspicionConfig
  maxChunkBytes?: number
  /** Deflate this node's own int8 updates on the wire where that makes them smaller (@fedmesh/updates UpdateEncoding); default false. */
  compressUpdates?: boolean
  /** As coordinator, stop opening rounds after this one (simulations, bounded demo runs). */
  maxRounds?: number
  /**
   * The aggregation coordinator and verifier run; default aggregateRound. Must be the same pure function of its
   * inputs (simulations pass a memoised one so that 100 nodes verifying identical inputs compute once).
   */
  aggregate?: AggregateFn
  /**
   * Whether at least f + 1 peers advertise global model `version` with weights `digest` as verified by themselves
   * (their heartbeats' model heads), so that at least one honest node recomputed it. A model this node did not verify
   * itself (a late joiner's base, a catch-up, one it could not check or that recomputed to something else here) is
   * adopted only then: otherwise a coordinator could get any model adopted by including an input nobody holds.
   * Default: never (such a node adopts only what it verifies).
   */
  vouched?: (version: number, digest: string) => boolean
  /** How long a wanted model may go without f + 1 vouchers before its source is given up on; default the deadline. */
  vouchTimeoutMs?: number
  /**
   * How long the leader may go without making progress (a round of a later number opened, a model of a later version
   * published, a model adopted here) before this node reports it stalled ('coordinator-stalled'); default 4 round
   * deadlines. Not after maxRounds: a finished session has nothing to progress.
   */
  stallTimeoutMs?: number
  /**
   * Whether the election still takes `peer` as the leader of `term` (not resigned, not replaced, not excluded here)
   * while this node's lease on it has lapsed: its round announcements are then followed rather than parked until the
   * lease is renewed. Without it, a node follows only the leader its election names at that moment.
   */
  stillLeads?: (term: number, peer: string) => boolean
  /**
   * Rounds in a row an expected member may miss (not an input of the models accepted here) before the coordinator's
   * short wait for the last f is no longer spent on it (LateMembers); default 2, 0 to always wait.
   */
  notWaitedAfterMissedRounds?: number
  /**
   * As coordinator, in a round taken over (failover), the wait for the last f is at most this; default
   * TAKEOVER_LAST_F_WAIT_MS (RoundCoordinator).
   */
  takeoverLastFWaitMs?: number
  /**
   * Leave the work a message makes due (verifying parked models, closing the round as coordinator, the aggregate
   * ahead) to settle(), instead of doing it inside onUpdateMessage / onModelMessage. A service that calls those from
   * gossipsub's topic validator sets it and calls settle() once the validator has returned: the message is then
   * forwarded before this node spends tens of milliseconds (hundreds, when the tabs wait for a core) aggregating, so
   * the last update and the model's header cross the mesh at the speed of message handling, not of verification.
   * Default false (the work happens inline, as simulations and tests expect).
   */
  settleLater?: boolean
}

export type AggregateFn = (base: readonly Tensor[], updates: readonly HeldUpdate[], spec: AggregatorSpec) => RoundAggregate

interface PendingModel {
  model: GlobalModel
  from: string
  since: number
  /** Verify against the previous model and replace the current one (same version, higher term). */
  replace: boolean
  /** 'fetch-updates' events that went out for its missing updates, and when the last one did. */
  asks?: number
  askedAt?: number
  /** Came while the model before it was still being verified here: verified after it (its grace starts then). */
  queued?: boolean
}

/** 'fetch-updates' events per parked model at most, updateFetchAfterMs apart. */
const MAX_UPDATE_ASKS = 3
/** A round announcement: a few hundred bytes, plus up to MAX_HELD_DIGESTS digests of 34 bytes (RoundOpen.held). */
const ROUND_OPEN_MAX_BYTES = 16 * 1024
/**
 * How many grace periods a model waits for the election to confirm the coordinator of its round, when this node holds
 * that round's announcement parked (unconfirmed leader): an election after a failover took up to 4 s at 20 tabs.
 */
const PARKED_OPEN_GRACE_FACTOR = 3

/**
 * One node's part in a federated-learning session: participant, verifier and (while the election names it)
 * coordinator. Feed it decoded gossip (onUpdateMessage, onModelMessage), election and membership changes
 * (onLeader, onMembership), its own trained updates (submitUpdate) and clock ticks (tick); it returns what to
 * publish and events to act on (train, fetch a model, distrust a coordinator). Pure: no I/O, no timers.
 */
export class RoundSession {
  readonly config: Required<Omit<RoundSessionConfig, 'model' | 'suspicion' | 'maxChunkBytes' | 'compressUpdates' | 'maxRounds' | 'vouched' | 'resendAfterMs' | 'stillLeads'>> & Pick<RoundSessionConfig, 'maxChunkBytes' | 'compressUpdates' | 'maxRounds' | 'vouched' | 'resendAfterMs'>
  readonly shapes: TensorSpec[]
  readonly pool: UpdatePool
  readonly suspicion: SuspicionLedger
  readonly participant: RoundParticipant
  readonly coordinator: RoundCoordinator
  readonly admission = new Admission()
  /** Expected members that missed the last rounds: the coordinator does not wait for them at the end of a round. */
  readonly late: LateMembers
  readonly models: ModelState
  /** Dropped model-topic messages and refused models, by reason. */
  readonly modelRejects = new ReasonCounters()
  /**
   * aggregatesAhead: computed before the model's header came (computeAhead); verifiedAhead: of those, used to verify it.
   * opensParked: round announcements parked on arrival because this node's election did not name their coordinator
   * (yet); opensUnderLapsedLease: announcements followed while the lease on their coordinator had lapsed (stillLeads).
   */
  readonly counters = { opensParked: 0, opensUnderLapsedLease: 0, roundsOpened: 0, roundsClosed: 0, extensions: 0, modelsAccepted: 0, modelsVerified: 0, modelsRejected: 0, modelsUnverifiable: 0, modelsFetched: 0, rollbacks: 0, updatesAccepted: 0, updateFetches: 0, updatesResent: 0, resentOnTakeover: 0, resendsSpared: 0, copiesHeldBack: 0, heldBackSent: 0, aggregatesAhead: 0, verifiedAhead: 0 }
  private readonly modelReassembler: Reassembler
  private alive = new Set<string>()
  private pending: PendingModel[] = []
  /** A model to adopt without verifying it; asked for (a fetch-model event) once vouched for. */
  private wanted: { version: number, digest: string, from: string, since: number, asked: boolean } | undefined
  /** The announcement whose base is being fetched, and when it was first seen. */
  private fetchingFor: { open: RoundOpen, firstSeen: number } | undefined
  /** When each round announcement (round/term/coordinator) was first seen: bounds how long it stays parked. */
  private readonly openSeenAt = new Map<string, number>()
  private coordinating = false
  /** The followed leader's progress: the highest step seen from it (2r - 1: round r opened, 2v: model v), and when. */
  private progress: { leader: string, term: number, step: number, at: number, reported: boolean } | undefined
  /**
   * This node's update for the open round, as published (first at sentAt, last at `at`): published again while the
   * round stays open. heldBack: a takeover's copy waits, until takeoverCopyAfterMs after sentAt.
   */
  private submitted: { round: number, digest: string, chunks: Uint8Array[], sentAt: number, at: number, heldBack?: boolean } | undefined
  private lastModel: { version: number, round: number, term: number, coordinator: string, included: string[], selected: string[], excluded: string[], verified: boolean } | undefined
  /** Work a message made due, left for settle() (config.settleLater). */
  private unsettled = false
  /** The open round's aggregate, computed before its model's header arrived (computeAhead), and what it was computed from. */
  private ahead: { base: readonly Tensor[], digests: string, spec: string, result: RoundAggregate } | undefined
  /** computeAhead's members expected in the open round, for the alive view they were worked out from. */
  private aheadExpected: { round: number, alive: ReadonlySet<string>, members: Set<string> } | undefined

  constructor (config: RoundSessionConfig) {
    this.config = {
      self: config.self,
      session: config.session,
      clock: config.clock,
      maxNorm: config.maxNorm,
      aggregator: config.aggregator ?? { rule: 'krum', f: 0 },
      minParticipants: config.minParticipants ?? 3,
      deadlineMs: config.deadlineMs ?? 30_000,
      graceMs: config.graceMs ?? 3_000,
      updateFetchAfterMs: config.updateFetchAfterMs ?? (config.graceMs ?? 3_000) / 3,
      notWaitedAfterMissedRounds: config.notWaitedAfterMissedRounds ?? 2,
      takeoverLastFWaitMs: config.takeoverLastFWaitMs ?? TAKEOVER_LAST_F_WAIT_MS,
      settleLater: config.settleLater ?? false,
      ...(config.resendAfterMs !== undefined ? { resendAfterMs: config.resendAfterMs } : {}),
      takeoverCopyAfterMs: config.takeoverCopyAfterMs ?? config.graceMs ?? 3_000,
      maxChunkBytes: config.maxChunkBytes,
      compressUpdates: config.compressUpdates,
      maxRounds: config.maxRounds,
      aggregate: config.aggregate ?? aggregateRound,
      ...(config.vouched !== undefined ? { vouched: config.vouched } : {}),
      vouchTimeoutMs: config.vouchTimeoutMs ?? config.deadlineMs ?? 30_000,
      stallTimeoutMs: config.stallTimeoutMs ?? 4 * (config.deadlineMs ?? 30_000)
    }
    this.participant = new RoundParticipant(config.stillLeads)
    const m = config.model
    this.shapes = m.tensors.map(t => ({ name: t.name, shape: [...t.shape] }))
    this.models = new ModelState(heldModel(m.tensors, m.version, m.term ?? m.global?.term ?? 0, m.verified ?? true, m.global))
    this.suspicion = new SuspicionLedger(config.suspicion)
    this.late = new LateMembers(this.config.notWaitedAfterMissedRounds)
    this.coordinator = new RoundCoordinator({
      self: config.self,
      session: config.session,
      aggregator: this.config.aggregator,
      minParticipants: this.config.minParticipants,
      deadlineMs: this.config.deadlineMs,
      // at most twice the grace: a member one model behind waits a grace for it in flight, then fetches it and trains
      lastFWaitMs: 2 * this.config.graceMs,
      lastFWaitMinMs: Math.min(1_000, this.config.graceMs),
      takeoverLastFWaitMs: this.config.takeoverLastFWaitMs,
      maxChunkBytes: config.maxChunkBytes,
      aggregate: this.config.aggregate
    })
    this.pool = new UpdatePool({ session: config.session, shapes: this.shapes, clock: config.clock, maxNorm: config.maxNorm })
    this.pool.setWindow(Math.max(1, m.version))
    // models are gossiped without their weights (globalModelHeader): digests and scores of up to 10,000 updates
    const modelCap = 64 * 10_000 + 4096
    this.modelReassembler = new Reassembler({
      clock: config.clock,
      counters: new UpdateRejectCounters(),
      maxPayloadBytes: modelCap,
      admit: c => this.admitModelChunk(c)
    })
  }

  get model (): HeldModel {
    return this.models.current
  }

  get isCoordinator (): boolean {
    return this.coordinating
  }

  // --- inputs ------------------------------------------------------------------------------------------------

  /** The election's 'leader-changed' event. Becoming leader takes over the round in progress. */
  onLeader (term: number, leader: string | undefined): Output {
    this.participant.onLeader(term, leader)
    const out = this.output()
    // a model only the deposed leader vouched for is no reason to hold back (nor, as the new coordinator, to not open)
    if (this.wanted !== undefined && !this.wanted.asked && this.wanted.from !== leader) this.wanted = undefined
    const wasCoordinating = this.coordinating
    this.coordinating = leader === this.config.self
    if (leader === undefined || this.coordinating) this.progress = undefined
    else if (this.progress?.leader !== leader || this.progress.term !== term) {
      this.progress = { leader, term, step: 2 * this.model.version, at: this.config.clock.now(), reported: false }
    }
    if (!this.coordinating && wasCoordinating) this.coordinator.current = undefined
    for (const open of this.participant.unpark()) this.handleOpen(open, out)
    if (this.coordinating) this.coordinate(out)
    return out
  }

  /** The membership view's alive peers (this node included or not; it is added). */
  onMembership (alive: Iterable<string>): Output {
    this.alive = new Set(alive)
    this.alive.add(this.config.self)
    const active = this.participant.active
    this.admission.observe(this.alive, active?.open.round, this.model.version + 1)
    const out = this.output()
    if (this.coordinating) this.coordinate(out)
    return out
  }

  /** A message on `fedmesh/updates/1`, with its gossipsub-verified author. Never throws. */
  onUpdateMessage (data: Uint8Array, from: string | undefined): InboundResult {
    return this.afterUpdate(this.pool.accept(data, from), from)
  }

  /** An update reassembled and validated elsewhere (see UpdatePool.acceptValidated). Never throws. */
  onValidatedUpdate (update: ModelUpdate, digest: string, flat?: Float32Array): InboundResult {
    return this.afterUpdate(this.pool.acceptValidated(update, digest, flat), update.sender)
  }

  private afterUpdate (r: PoolResult, from: string | undefined): InboundResult {
    const out = this.output()
    if (!r.ok) {
      if (from !== undefined && isAuthorFault(r.reason)) this.suspect(from, 'invalid-update', `${r.reason}: ${r.detail}`, out)
      return { ...out, verdict: verdictOf(r.reason), reason: r.reason, detail: r.detail }
    }
    if (!r.complete) return { ...out, verdict: 'accept' }
    this.counters.updatesAccepted++
    if (r.equivocation) this.suspect(r.held.from, 'equivocation', `two updates for round ${r.held.update.round}`, out)
    this.work(out)
    return { ...out, verdict: 'accept' }
  }

  /** A message on `fedmesh/model/1` (round announcements and global-model chunks). Never throws. */
  onModelMessage (data: Uint8Array, from: string | undefined): InboundResult {
    const out = this.output()
    const r = this.modelReassembler.accept({ data, from })
    if (!r.ok) return this.drop(out, verdictOf(r.reason), r.reason, r.detail)
    if (!r.complete) return { ...out, verdict: 'accept' }
    const p = r.payload
    try {
      if (p.kind === 'round-open') {
        const decoded = decodeRoundOpen(p.payload)
        if (!decoded.ok) return this.drop(out, 'reject', decoded.reason, decoded.detail)
        const open = decoded.value
        if (open.round !== p.round || open.term !== p.term || open.session !== p.session) return this.drop(out, 'reject', 'inconsistent-chunk', 'chunk routing differs from the announcement')
        if (open.coordinator !== p.from) return this.drop(out, 'reject', 'sender-mismatch', `announcement names ${open.coordinator}, signed by ${p.from}`)
        if (open.baseVersion !== open.round - 1) {
          this.suspect(p.from, 'invalid-announcement', `round ${open.round} on base v${open.baseVersion}`, out)
          return this.drop(out, 'reject', 'bad-round-open', `round ${open.round} must train from version ${open.round - 1}, says ${open.baseVersion}`)
        }
        return this.handleOpen(open, out)
      }
      const decoded = decodeGlobalModel(p.payload)
      if (!decoded.ok) return this.drop(out, 'reject', decoded.reason, decoded.detail)
      const model = decoded.value
      if (model.round !== p.round || model.term !== p.term || model.session !== p.session) return this.drop(out, 'reject', 'inconsistent-chunk', 'chunk routing differs from the model')
      return this.handleModel(model, p.from, out)
    } catch (err) {
      return this.drop(out, 'ignore', 'internal-error', err instanceof Error ? err.message : String(err))
    }
  }

  /** This node's trained, quantised update for the open round: returns its chunks to publish on the updates topic. */
  submitUpdate (update: ModelUpdate): Output {
    const out = this.output()
    const a = this.participant.active
    if (update.session !== this.config.session || update.sender !== this.config.self) throw new RangeError('submitUpdate: the update must be this node\'s, for this session')
    if (update.baseVersion !== this.model.version || update.round !== this.model.version + 1) {
      // the round moved on while this node trained (a straggler): nothing to send
      this.modelRejects.count('own-update-too-late')
      return out
    }
    const { held, chunks } = this.pool.addLocal({ ...update, term: a?.open.term ?? update.term }, {
      ...(this.config.maxChunkBytes !== undefined ? { maxChunkBytes: this.config.maxChunkBytes } : {}),
      compress: this.config.compressUpdates === true
    })
    for (const data of chunks) out.publish.push({ topic: 'updates', data })
    const sentAt = this.config.clock.now()
    this.submitted = { round: update.round, digest: held.digest, chunks, sentAt, at: sentAt }
    if (this.coordinating) this.coordinate(out)
    return out
  }

  /** Whether a message left work for settle() (config.settleLater). */
  get unsettledWork (): boolean {
    return this.unsettled
  }

  /** With config.settleLater: the work the messages since the last call made due (see there). */
  settle (): Output {
    const out = this.output()
    if (!this.unsettled) return out
    this.unsettled = false
    this.doWork(out)
    return out
  }

  private work (out: Output): void {
    if (this.config.settleLater) this.unsettled = true
    else this.doWork(out)
  }

  private doWork (out: Output): void {
    if (!this.coordinating) this.computeAhead()
    this.retryPending(out)
    if (this.coordinating) this.coordinate(out)
  }

  /**
   * Every node recomputes each global model to verify it, and that used to start when the model's header arrived.
   * Once this node holds what the coordinator closes with when it does not wait (an update from every expected member
   * it sees alive, or all but at most f that missed the last rounds: closesWithoutWait, from the same LateMembers
   * every node keeps), it computes that aggregate now, while the header is on its way; verification reuses it if the
   * header names the same inputs (verifyAggregate), and computes afresh otherwise. One aggregation per round either
   * way, unless the coordinator closes with another set (a late update after this, another view of who is alive).
   */
  private computeAhead (): void {
    const open = this.participant.active?.open
    if (open === undefined || open.coordinator === this.config.self) return
    const base = this.models.current
    if (open.round !== base.version + 1 || open.baseDigest !== base.digest) return
    // called on every update: the members expected are worked out once per round and view, and nothing more is done
    // while fewer updates are held than all but f of them
    if (this.aheadExpected?.round !== open.round || this.aheadExpected.alive !== this.alive) {
      const members = this.admission.expected(open.round, this.alive)
      members.add(open.coordinator)
      this.aheadExpected = { round: open.round, alive: this.alive, members }
    }
    const expected = this.aheadExpected.members
    if (this.pool.heldCount(open.round) + (open.aggregator.f ?? 0) < expected.size) return
    const quarantined = (p: string): boolean => this.suspicion.isQuarantined(p)
    const { inputs, waitingFor } = roundInputs(this.pool.updates(open.round), expected, this.alive, quarantined)
    if (!closesWithoutWait(inputs, waitingFor, open.minParticipants, open.aggregator.f ?? 0, p => this.late.isLate(p))) return
    const spec = toSpec(open)
    if (this.aheadFor(base.tensors, inputs, spec) !== undefined) return
    try {
      this.ahead = { base: base.tensors, digests: digestList(inputs), spec: JSON.stringify(spec), result: this.config.aggregate(base.tensors, inputs, spec) }
      this.counters.aggregatesAhead++
    } catch {
      this.ahead = undefined // the same error comes back when the header is verified, and is reported there
    }
  }

  /** The aggregate computed ahead, if it was computed from exactly these inputs. */
  private aheadFor (base: readonly Tensor[], updates: readonly HeldUpdate[], spec: AggregatorSpec): RoundAggregate | undefined {
    const a = this.ahead
    return a !== undefined && a.base === base && a.digests === digestList(updates) && a.spec === JSON.stringify(spec) ? a.result : undefined
  }

  /** The verifier's aggregation: the aggregate computed ahead when it was computed from the same inputs. */
  private readonly verifyAggregate: AggregateFn = (base, updates, spec) => {
    const ahead = this.aheadFor(base, updates, spec)
    if (ahead === undefined) return this.config.aggregate(base, updates, spec)
    this.counters.verifiedAhead++
    return ahead
  }

  /** Timers: round deadlines (as coordinator) and verification grace periods. */
  tick (): Output {
    const out = this.output()
    this.retryPending(out)
    // announcements parked for a model in flight fall back to fetching it once their grace period is over
    if (this.participant.parkedCount > 0) for (const open of this.participant.unpark()) this.handleOpen(open, out)
    this.askIfVouched(out)
    this.checkProgress(out)
    this.resendOwnUpdate(out)
    if (this.coordinating) this.coordinate(out)
    return out
  }

  /**
   * Publishes this node's update again once per resendAfterMs while its round stays open (and when another
   * coordinator takes the round over without listing it as held, see handleOpen). Nodes that hold it drop the copy
   * as a duplicate (ignored, not forwarded); nodes that lack it take it and pass it on. The same bytes: never a
   * second update (equivocation). A closed round's update is forgotten, with any copy held back.
   */
  private resendOwnUpdate (out: Output): void {
    const s = this.submitted
    if (s === undefined) return
    if (this.model.version >= s.round) { this.submitted = undefined; return }
    const now = this.config.clock.now()
    if (s.heldBack === true && now >= s.sentAt + this.config.takeoverCopyAfterMs) {
      s.heldBack = false
      this.counters.heldBackSent++
      this.counters.resentOnTakeover++
      this.resend(s, out)
      return
    }
    const after = this.config.resendAfterMs ?? this.participant.active?.open.deadlineMs ?? this.config.deadlineMs
    if (now - s.at < after) return
    this.resend(s, out)
  }

  private resend (s: { chunks: Uint8Array[], at: number }, out: Output): void {
    s.at = this.config.clock.now()
    this.counters.updatesResent++
    for (const data of s.chunks) out.publish.push({ topic: 'updates', data })
  }

  /**
   * A model fetched over /fedmesh/model/1.0.0 after a 'fetch-model' event (encoded GlobalModel). Adopted, without
   * verification, when it is the version asked for and its weights hash to the digest the coordinator announced.
   */
  onFetchedModel (payload: Uint8Array): Output & { ok: boolean, reason?: string } {
    const out = this.output()
    const w = this.wanted
    const decoded = decodeGlobalModel(payload)
    if (!decoded.ok) return { ...out, ok: false, reason: decoded.reason }
    const model = decoded.value
    if (w === undefined || model.version !== w.version) return { ...out, ok: false, reason: 'not-wanted' }
    const problem = checkGlobalModel(model, { session: this.config.session, shapes: this.shapes })
    if (problem !== undefined) return { ...out, ok: false, reason: problem.reason }
    const digest = digestWeights(model.tensors)
    if (digest !== w.digest || digest !== model.weightsDigest) return { ...out, ok: false, reason: 'digest-mismatch' }
    this.adoptFetched(model, out)
    return { ...out, ok: true }
  }

  /**
   * The elected leader advertises (in its heartbeat) that it holds global model `version` with weights `digest`.
   * Anti-entropy: a node that is behind with nothing on its way fetches that model, checked against the digest and
   * adopted unverified, as a late joiner does. Without it a node that missed the session's last model (its gossip,
   * its verification inputs, or its announcement under a term it already saw superseded) would stay behind for good.
   * The caller waits a while first, so models arriving the normal way are verified rather than fetched. Like every
   * model adopted unverified, it is fetched only once f + 1 peers vouch for it (config.vouched).
   */
  onLeaderHead (version: number, digest: string, leader: string): Output {
    const out = this.output()
    if (leader !== this.participant.leader || version <= this.model.version || this.wanted !== undefined) return out
    if (this.pending.some(p => p.model.version === version && p.model.weightsDigest === digest)) return out
    this.want(version, digest, leader, out)
    return out
  }

  /** The encoded global model this node serves to late joiners (the current one), if it has one of `version`. */
  modelPayload (version?: number): GlobalModel | undefined {
    const g = this.model.global
    if (g === undefined || (version !== undefined && g.version !== version)) return undefined
    return g
  }

  status (): RoundsStatus {
    const now = this.config.clock.now()
    const a = this.participant.active
    const c = this.coordinator.current
    const round = a?.open.round
    const reported = round === undefined ? [] : [...new Set(this.pool.updates(round).map(h => h.from))].sort()
    return {
      session: this.config.session,
      self: this.config.self,
      role: this.coordinating ? 'coordinator' : 'participant',
      term: this.participant.term,
      leader: this.participant.leader,
      version: this.model.version,
      modelDigest: this.model.digest,
      modelVerified: this.model.verified,
      ...(a !== undefined
        ? {
            open: {
              round: a.open.round,
              term: a.open.term,
              coordinator: a.open.coordinator,
              baseVersion: a.open.baseVersion,
              deadlineInMs: (c?.deadlineAt ?? a.deadlineAt) - now,
              reported,
              ...(c !== undefined ? { expected: [...c.expected].sort(), extensions: c.extensions, failover: c.failover } : {})
            }
          }
        : {}),
      ...(this.lastModel !== undefined ? { lastModel: { ...this.lastModel } } : {}),
      ...(this.wanted !== undefined ? { fetching: { ...this.wanted } } : {}),
      pendingVerifications: this.pending.length,
      counters: { ...this.counters },
      rejects: { updates: this.pool.rejectCounts(), model: this.modelRejects.snapshot() },
      suspicion: this.suspicion.snapshot()
    }
  }

  // --- round announcements -----------------------------------------------------------------------------------

  private handleOpen (open: RoundOpen, out: Output): InboundResult {
    // A quarantined leader is followed all the same: quarantine is about a peer's updates, and a coordinator is judged
    // by its models (verified here) and its progress. Only the nodes its bad updates reached quarantine it, so
    // refusing its rounds would split the session into followers and refusers, neither with enough participants.
    this.progressed(open.coordinator, open.term, 2 * open.round - 1)
    const now = this.config.clock.now()
    const key = `${open.round}/${open.term}/${open.coordinator}`
    const firstSeen = this.openSeenAt.get(key) ?? now
    this.openSeenAt.set(key, firstSeen)
    if (this.openSeenAt.size > 64) this.openSeenAt.delete(this.openSeenAt.keys().next().value as string)
    // The announcement of round v+2 is small and can overtake the (large) global model v+1 it trains from, which
    // is still on its way over gossip: wait for it a grace period (and verify it) before fetching it unverified.
    const inFlight = open.round === this.model.version + 2 && now - firstSeen < this.config.graceMs
    const awaiting = inFlight || this.pending.some(p => p.model.version === open.round - 1) || this.wanted?.version === open.round - 1
    const d = this.participant.classify(open, this.model.version, awaiting)
    if (d.action === 'drop') {
      if (d.reason === 'not-leader') this.suspect(open.coordinator, 'invalid-announcement', d.detail, out)
      return this.drop(out, d.verdict, d.reason, d.detail)
    }
    if (d.action === 'park') {
      if (d.reason === 'unconfirmed-leader' && firstSeen === now) this.counters.opensParked++
      this.participant.park(open)
      return { ...out, verdict: 'accept', reason: d.reason }
    }
    const version = this.model.version
    if (open.round === version && open.term > this.model.term) {
      // a higher term re-opens the round whose model this node holds from a lower term: higher term wins
      if (this.models.rollBackTo(open.baseVersion, open.baseDigest)) {
        this.counters.rollbacks++
        out.events.push({ type: 'model-rolled-back', version, toVersion: open.baseVersion })
        this.participant.roundDone(open.baseVersion)
        this.pool.setWindow(open.round)
      } else {
        return this.drop(out, 'ignore', 'stale-round', `round ${open.round} under term ${open.term}: this node holds v${version} and not its base`)
      }
    }
    if (open.round > this.model.version + 1 || open.baseDigest !== this.model.digest) {
      // behind (or holding another copy of the base): fetch the base; if it arrives while the round is still open
      // this node trains in it too (adoptFetched), else it joins at the next round
      this.want(open.baseVersion, open.baseDigest, open.coordinator, out)
      this.fetchingFor = { open, firstSeen }
      if (open.round > this.model.version + 1) this.participant.follow(open, firstSeen)
      return { ...out, verdict: 'accept', reason: open.round > this.model.version + 1 ? 'behind' : 'base-digest-mismatch' }
    }
    const { failover } = this.participant.follow(open, now)
    this.counters.roundsOpened++
    if (d.underLapsedLease === true) this.counters.opensUnderLapsedLease++
    out.events.push({ type: 'round-opened', round: open.round, term: open.term, coordinator: open.coordinator, baseVersion: open.baseVersion, failover })
    // a coordinator taking over a round this node already sent its update to may never have received it; it lists
    // those it holds, and a copy of one of them would only load every link at the moment the round waits for the rest.
    // An unlisted update published moments ago is most likely in flight: its copy waits (takeoverCopyAfterMs).
    const s = this.submitted
    if (failover && s?.round === open.round && open.coordinator !== this.config.self) {
      if (open.held?.includes(s.digest) === true) {
        this.counters.resendsSpared++
        s.heldBack = false
      } else if (now - s.sentAt < this.config.takeoverCopyAfterMs) {
        if (s.heldBack !== true) this.counters.copiesHeldBack++
        s.heldBack = true
      } else {
        this.counters.resentOnTakeover++
        s.heldBack = false
        this.resend(s, out)
      }
    }
    if (this.participant.shouldTrain(open.round)) {
      out.events.push({ type: 'train', session: open.session, round: open.round, term: open.term, baseVersion: open.baseVersion, deadlineAt: now + open.deadlineMs })
    }
    this.retryPending(out)
    return { ...out, verdict: 'accept' }
  }

  // --- global models -----------------------------------------------------------------------------------------

  private handleModel (model: GlobalModel, from: string, out: Output): InboundResult {
    const problem = checkGlobalModel(model, { session: this.config.session, header: true, term: this.participant.term }, from)
    if (problem !== undefined) return this.drop(out, verdictOf(problem.reason), problem.reason, problem.detail)
    if (model.version !== model.round) return this.drop(out, 'reject', 'bad-version', `model v${model.version} of round ${model.round}`)
    this.progressed(from, model.term, 2 * model.version)
    const current = this.model
    const replace = model.version === current.version && model.term > current.term && this.models.previous?.version === model.version - 1
    if (model.version <= current.version && !replace) return this.drop(out, 'ignore', 'stale-version', `v${model.version}, this node holds v${current.version}`)
    if (model.version === current.version + 2 && this.pending.some(p => !p.replace && p.model.version === current.version + 1)) {
      // the model before it is being verified here, waiting for an update gossip lost: verify this one after it rather
      // than fetch it unverified (on a loaded host the next round can close while the lost update is fetched)
      this.pending.push({ model, from, since: this.config.clock.now(), replace: false, queued: true })
      return { ...out, verdict: 'accept', reason: 'queued' }
    }
    if (model.version > current.version + 1) {
      // too far ahead to verify: a late joiner fetches the model (checked against this digest) once it is vouched for
      this.want(model.version, model.weightsDigest, from, out)
      return { ...out, verdict: 'accept', reason: 'behind' }
    }
    this.pending.push({ model, from, since: this.config.clock.now(), replace })
    this.work(out)
    return { ...out, verdict: 'accept' }
  }

  /** Tries every parked model: accept, reject, or keep waiting (within the grace period). */
  private retryPending (out: Output): void {
    if (this.pending.length === 0) return
    const now = this.config.clock.now()
    const keep: PendingModel[] = []
    // in version order: a model queued behind another becomes verifiable once that one is accepted
    const queue = this.pending.sort((a, b) => a.model.version - b.model.version)
    this.pending = []
    for (const p of queue) {
      const base = p.replace ? this.models.previous : this.models.current
      if (base !== undefined && p.queued === true && p.model.version === base.version + 2) {
        if (keep.some(k => !k.replace && k.model.version === base.version + 1)) keep.push(p)
        // the model before it was rejected: this one cannot be verified here, so it is fetched as a late joiner's is
        else this.want(p.model.version, p.model.weightsDigest, p.from, out)
        continue
      }
      if (base === undefined || p.model.version !== base.version + 1) continue // overtaken by another model
      if (p.queued === true) {
        p.queued = false
        p.since = now
      }
      const open = this.participant.followedOpen(p.model.round, p.model.term, p.model.coordinator)
      if (open === undefined) {
        // The announcement may be here, parked until this node's election names its sender: a new coordinator's first
        // round after a failover can open, and even close, before the votes that elected it reach every node (20 tabs:
        // 7 rejections, and the failover took a second round while those nodes fetched the model). Wait for the election.
        const parked = this.participant.isParked(p.model.round, p.model.term, p.model.coordinator)
        // not evidence against the coordinator: the announcement went to everyone, so this node most likely lost it or
        // took it in too late (20 tabs on 2 cores), and two such misses quarantined an honest coordinator. A coordinator
        // that publishes models for rounds it never announced gets no updates for them and stalls, which is handled
        if (now - p.since >= this.config.graceMs * (parked ? PARKED_OPEN_GRACE_FACTOR : 1)) {
          this.reject(p, 'unknown-round', `no ${parked ? 'confirmed ' : ''}announcement of round ${p.model.round} term ${p.model.term} by ${p.model.coordinator}`, undefined, out)
        } else {
          keep.push(p)
        }
        continue
      }
      // a model whose missing updates were asked for gets a second grace for the answers
      const asks = p.asks ?? 0
      const expired = now - p.since >= this.config.graceMs * (asks > 0 ? 2 : 1)
      const result = verifyGlobalModel({ model: p.model, base, open, lookup: d => this.pool.get(p.model.round, d), aggregate: this.verifyAggregate })
      if (result.ok) {
        this.acceptModel(p.model, result.aggregate, result.inputs, p.replace, true, out)
        continue
      }
      if (result.reason === 'missing-update' && !expired) {
        // Asked again while it waits: neighbours that lacked an update at the first ask may have received it since
        // (20 tabs: one ask in nine came back empty, and its tab held the model 6 s after the others, by fetching it).
        if (asks < MAX_UPDATE_ASKS && now - (p.askedAt ?? p.since) >= this.config.updateFetchAfterMs) {
          p.asks = asks + 1
          p.askedAt = now
          this.counters.updateFetches++
          out.events.push({ type: 'fetch-updates', round: p.model.round, version: p.model.version, digests: result.missing, from: p.from })
        }
        keep.push(p)
        continue
      }
      this.reject(p, result.reason, result.detail, result.reason === 'missing-update' ? 'unverifiable-model' : 'failed-verification', out)
    }
    this.pending.push(...keep)
  }

  private reject (p: PendingModel, reason: VerificationFailure, detail: string, evidence: EvidenceKind | undefined, out: Output): void {
    if (isUnverifiable(reason)) this.counters.modelsUnverifiable++
    else this.counters.modelsRejected++
    this.modelRejects.count(`verification:${reason}`)
    out.events.push({ type: 'model-rejected', version: p.model.version, round: p.model.round, term: p.model.term, coordinator: p.model.coordinator, reason, detail })
    if (evidence !== undefined) this.suspect(p.model.coordinator, evidence, `${reason}: ${detail}`, out)
  }

  private acceptModel (model: GlobalModel, aggregate: RoundAggregate, inputs: HeldUpdate[], replace: boolean, verified: boolean, out: Output): void {
    // the gossiped model is a header: keep the recomputed weights with it, to serve to nodes that fetch it
    const held = heldModel(aggregate.tensors, model.version, model.term, true, model.tensors.length > 0 ? model : { ...model, tensors: aggregate.tensors })
    if (replace) this.models.replace(held)
    else this.models.advance(held)
    this.counters.modelsAccepted++
    if (verified) this.counters.modelsVerified++
    const senderOf = new Map(inputs.map(h => [h.digest, h.from]))
    this.late.record(model.round, this.admission.expected(model.round, this.alive), new Set(inputs.map(h => h.from)))
    const excluded = aggregate.excluded.map(d => senderOf.get(d) as string)
    // weak evidence, computed by this node itself, never taken from the coordinator's word
    for (const peer of excluded) this.suspect(peer, 'excluded', `left out by ${model.rule} in round ${model.round}`, out)
    for (const change of this.suspicion.advanceRound()) out.events.push(changeEvent(change))
    this.lastModel = {
      version: model.version,
      round: model.round,
      term: model.term,
      coordinator: model.coordinator,
      included: aggregate.includedDigests.map(d => senderOf.get(d) as string),
      selected: aggregate.selected.map(d => senderOf.get(d) as string),
      excluded,
      verified
    }
    out.events.push({ type: 'model-accepted', version: model.version, round: model.round, term: model.term, coordinator: model.coordinator, digest: model.weightsDigest, included: this.lastModel.included, selected: this.lastModel.selected, excluded, verified })
    this.afterNewModel(out)
  }

  private adoptFetched (model: GlobalModel, out: Output): void {
    this.models.adopt(heldModel(model.tensors, model.version, model.term, false, model))
    this.wanted = undefined
    this.counters.modelsFetched++
    out.events.push({ type: 'model-fetched', version: model.version, digest: model.weightsDigest })
    const joining = this.fetchingFor
    this.fetchingFor = undefined
    this.afterNewModel(out)
    // The round whose base this is may still be open: follow it (to verify its model) and train in it like
    // everyone else. An update that turns out late is dropped as stale; the coordinator never waited for a node it
    // had not seen before the round opened (Admission), so a late joiner cannot hold the round up.
    const a = this.participant.active
    const open = a !== undefined && a.open.round === model.version + 1 ? a.open : joining?.open
    if (open === undefined || open.round !== model.version + 1 || open.baseDigest !== model.weightsDigest || open.term < this.participant.term) return
    const receivedAt = a?.open === open ? a.receivedAt : (joining?.firstSeen ?? this.config.clock.now())
    this.participant.follow(open, receivedAt)
    if (this.participant.shouldTrain(open.round)) {
      out.events.push({ type: 'train', session: open.session, round: open.round, term: open.term, baseVersion: open.baseVersion, deadlineAt: receivedAt + open.deadlineMs })
    }
  }

  private afterNewModel (out: Output): void {
    const v = this.model.version
    this.ahead = undefined
    if (this.progress !== undefined) this.progressed(this.progress.leader, this.progress.term, 2 * v)
    for (const key of [...this.openSeenAt.keys()]) if (Number(key.split('/')[0]) <= v) this.openSeenAt.delete(key)
    this.participant.roundDone(v)
    this.pool.setWindow(Math.max(1, v))
    this.pending = this.pending.filter(p => p.model.version > v || (p.model.version === v && p.model.term > this.model.term))
    if (this.wanted !== undefined && this.wanted.version <= v) this.wanted = undefined
    for (const open of this.participant.unpark()) this.handleOpen(open, out)
    if (this.coordinating) this.coordinate(out)
  }

  private want (version: number, digest: string, from: string, out: Output): void {
    if (this.wanted?.version === version && this.wanted.digest === digest) return
    // a newer model is wanted already (an announcement that trains from an older base came late): it supersedes this
    if (this.wanted !== undefined && this.wanted.version > version) return
    this.wanted = { version, digest, from, since: this.config.clock.now(), asked: false }
    this.askIfVouched(out)
  }

  private vouched (version: number, digest: string): boolean {
    return this.config.vouched?.(version, digest) ?? false
  }

  /**
   * Ask for the wanted model once f + 1 peers vouch for it. If none do within vouchTimeoutMs, give it up and report
   * its source: a coordinator whose model no honest node can verify (an input nobody holds) stalls the session, and
   * the service stops following it so that another node coordinates.
   */
  private askIfVouched (out: Output): void {
    const w = this.wanted
    if (w === undefined || w.asked) return
    if (this.vouched(w.version, w.digest)) {
      w.asked = true
      out.events.push({ type: 'fetch-model', version: w.version, digest: w.digest, from: w.from })
      return
    }
    const waitedMs = this.config.clock.now() - w.since
    if (waitedMs < this.config.vouchTimeoutMs) return
    this.wanted = undefined
    this.modelRejects.count('unvouched')
    out.events.push({ type: 'model-unvouched', version: w.version, digest: w.digest, from: w.from, waitedMs })
  }

  // --- coordinating ------------------------------------------------------------------------------------------

  /** Opens, closes or extends rounds while this node is the leader. */
  private coordinate (out: Output): void {
    const now = this.config.clock.now()
    const term = this.participant.leaderTerm
    if (term === undefined) return
    const c = this.coordinator.current
    if (c === undefined || c.open.term !== term) {
      // do not open on a base that may be about to change: a model for this version is being verified
      if (this.pending.length > 0 || this.wanted !== undefined) return
      const round = this.model.version + 1
      if (this.config.maxRounds !== undefined && round > this.config.maxRounds) return
      const a = this.participant.active
      const failover = a !== undefined && a.open.round === round && a.open.term < term
      const expected = this.admission.expected(round, this.alive)
      expected.add(this.config.self)
      // The coordinator this node takes over from resigned or stopped leading: it is not waited for (its update counts
      // if it is already here). Until the failure detector drops it from the alive view it would hold the round.
      if (failover && a.open.coordinator !== this.config.self) expected.delete(a.open.coordinator)
      // Taking over a round: the updates already sent stay valid, so only what is left of its deadline (as this node
      // saw it) is waited for expected members that have not reported (a withholder, a garbage sender), and at
      // least the verification grace, for updates still in flight. A new deadline would add a whole one to failover.
      const deadlineAt = failover ? Math.max(now + this.config.graceMs, a.deadlineAt) : now + this.config.deadlineMs
      // listed whether or not this node saw the round opened before: a successor that missed its predecessor's
      // announcement opens the round afresh, but its members have sent their updates all the same
      const held = this.pool.digests(round)
      const { open, chunks } = this.coordinator.open(round, term, this.model, expected, now, failover, deadlineAt, held)
      for (const data of chunks) out.publish.push({ topic: 'model', data })
      this.handleOpen(open, out)
      return
    }
    const decision = this.coordinator.decide(this.pool.updates(c.open.round), this.alive, p => this.suspicion.isQuarantined(p), now, p => this.late.isLate(p))
    if (decision.action === 'wait') return
    if (decision.action === 'extend') {
      this.counters.extensions++
      this.modelRejects.count(`extended:${decision.reason}`)
      for (const data of this.coordinator.extend(now)) out.publish.push({ topic: 'model', data })
      out.events.push({ type: 'round-extended', round: c.open.round, reason: decision.reason, detail: decision.detail, have: decision.have, need: decision.need, waitingFor: decision.waitingFor })
      return
    }
    const closed = this.coordinator.close(decision.inputs, this.model, now, decision.stragglers)
    const aggregateMs = this.config.clock.now() - now
    if ('error' in closed) {
      this.counters.extensions++
      out.events.push({ type: 'aggregation-error', round: c.open.round, message: closed.error })
      for (const data of this.coordinator.extend(now)) out.publish.push({ topic: 'model', data })
      return
    }
    this.counters.roundsClosed++
    for (const data of closed.chunks) out.publish.push({ topic: 'model', data })
    out.events.push(...closed.events.map(e => e.type === 'round-closed' ? { ...e, aggregateMs } : e))
    const used = new Set(closed.aggregate.includedDigests)
    this.acceptModel(closed.model, closed.aggregate, decision.inputs.filter(h => used.has(h.digest)), false, false, out)
  }

  // --- leader progress ---------------------------------------------------------------------------------------

  /**
   * `step` by the followed leader (or a model adopted here, whoever made it): progress if beyond the highest seen.
   * Counted as soon as it is seen, before this node verifies anything, so a node that lags does not blame a leader
   * the others follow; a leader that fakes progress is caught by verification or by the vouching rule instead.
   */
  private progressed (from: string, term: number, step: number): void {
    const p = this.progress
    if (p === undefined || p.leader !== from || p.term !== term || step <= p.step) return
    p.step = step
    p.at = this.config.clock.now()
    p.reported = false
  }

  /**
   * A leader that keeps its lease but opens no rounds, extends its round for ever, or never closes it (Byzantine, or
   * honest but short of participants) is reported once per stall, so that the service stops following it and the
   * others, who see the same lack of models, elect another.
   */
  private checkProgress (out: Output): void {
    const p = this.progress
    if (p === undefined || p.reported) return
    const maxRounds = this.config.maxRounds
    if (maxRounds !== undefined && this.model.version >= maxRounds) return
    const now = this.config.clock.now()
    if (now - p.at < this.config.stallTimeoutMs) return
    p.reported = true
    out.events.push({ type: 'coordinator-stalled', coordinator: p.leader, term: p.term, version: this.model.version, sinceMs: now - p.at })
  }

  // --- helpers -----------------------------------------------------------------------------------------------

  private suspect (peer: string, kind: EvidenceKind, detail: string, out: Output): void {
    if (peer === this.config.self) return
    const change = this.suspicion.evidence(peer, kind, detail)
    if (change !== undefined) out.events.push(changeEvent(change))
  }

  private admitModelChunk (c: ChunkAdmission): Rejection | undefined {
    if (c.kind === 'model-update') return { ok: false, reason: 'wrong-kind', detail: 'a model update on the model topic' }
    if (c.session !== this.config.session) return { ok: false, reason: 'wrong-session', detail: `session '${c.session}'` }
    if (c.kind === 'round-open' && c.totalBytes > ROUND_OPEN_MAX_BYTES) return { ok: false, reason: 'oversized', detail: `round announcement of ${c.totalBytes} bytes` }
    if (c.term < this.participant.term) return { ok: false, reason: 'stale-term', detail: `term ${c.term}, this node is at term ${this.participant.term}` }
    return undefined
  }

  private drop (out: Output, verdict: 'ignore' | 'reject', reason: string, detail: string): InboundResult {
    this.modelRejects.count(reason)
    return { ...out, verdict, reason, detail }
  }

  private output (): Output {
    return { publish: [], events: [] }
  }
}

function changeEvent (c: SuspicionChange): RoundsEvent {
  return c.type === 'quarantined' ? { type: 'quarantined', peer: c.peer, score: c.score, reasons: c.reasons } : { type: 'released', peer: c.peer, score: c.score }
}

const IGNORABLE = new Set<string>(['wrong-session', 'stale-round', 'future-round', 'stale-term', 'future-term', 'duplicate', 'buffer-full', 'wrong-base'])

function verdictOf (reason: UpdateRejectReason | string): 'ignore' | 'reject' {
  return IGNORABLE.has(reason) ? 'ignore' : 'reject'
}

/** The inputs' digests in the aggregation's canonical order (ascending), as one string. */
function digestList (updates: readonly HeldUpdate[]): string {
  return updates.map(u => u.digest).sort().join(',')
}
