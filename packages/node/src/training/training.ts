/**
 * Federated training as a libp2p service: drives @fedmesh/rounds' RoundSession over gossipsub (`fedmesh/updates/1`,
 * `fedmesh/model/1`, each with a topic validator that returns the session's verdict, so bad input is dropped with a
 * counted reason and never forwarded) and serves / fetches global models over `/fedmesh/model/1.0.0`.
 *
 * The election names the coordinator ('leader-changed' -> onLeader), the heartbeat membership is the set of alive
 * participants, the node's ticker drives deadlines and grace periods. The service is idle until `begin()` hands it
 * the session's starting model and a learner (the app owns the learner: a worker in a tab, in-process in Node).
 * 'train' events run the learner from the session's model; the delta is quantised to int8 and gossiped. A model that
 * fails verification, or a leader that stops making progress, makes the election distrust its coordinator. Accepted
 * models are checkpointed and announced as 'model' events.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { TypedEventEmitter } from 'main-event'
import { nextMacrotask } from '@fedmesh/learner'
import { RoundSession, flatDelta, isUnverifiable } from '@fedmesh/rounds'
import type { Output, RoundsEvent, RoundsStatus, Verdict } from '@fedmesh/rounds'
import { DEFAULT_MAX_CHUNK_BYTES, decodeChunk, elementCount, encodeGlobalModel, flattenTensors, float32PayloadBound, quantizeDelta, unflattenTensors } from '@fedmesh/updates'
import type { ChunkMessage, ModelUpdate, Tensor, TensorSpec } from '@fedmesh/updates'
import type { AggregatorSpec } from '@fedmesh/aggregation'
import type { CheckpointStore } from '@fedmesh/checkpoint'
import { Attacker } from './attacker.ts'
import { MODEL_FETCH_PROTOCOL, requestModel, serveModelRequest } from './model-fetch.ts'
import type { ModelRequest } from './model-fetch.ts'
import { UPDATE_FETCH_PROTOCOL } from './update-fetch.ts'
import { UpdateFetcher } from './update-fetcher.ts'
import { PeerBudget, DEFAULT_SERVE_BUDGET } from '../rate-limit/peer-budget.ts'
import type { PeerBudgetSpec } from '../rate-limit/peer-budget.ts'
import type { UpdateFetchStatus } from './update-fetcher.ts'
import type { TrainingLearner } from './learner.ts'
import type { Heartbeat } from '../heartbeat/heartbeat.ts'
import type { Ticker } from '../timers/ticker.ts'
import type { Message } from '@libp2p/gossipsub'
import type { FloodPublishing } from '../libp2p/flood-publish.ts'
import type { ComponentLogger, Connection, Logger, PeerId, PrivateKey, Startable, Stream } from '@libp2p/interface'
import type { ModelHead } from '@fedmesh/protocol'

export const UPDATES_TOPIC = 'fedmesh/updates/1'
export const MODEL_TOPIC = 'fedmesh/model/1'

/** Round deadlines a coordinator whose model nobody vouched for stays excluded from the election. */
const UNVOUCHED_EXCLUSION_ROUNDS = 10

/** What the service needs of the election service (packages/node/src/election). */
export interface TrainingElection {
  leader: () => string | undefined
  leaderTerm: () => number | undefined
  /** The last recognised leader of `term`, not resigned, replaced or excluded, though its lease may have lapsed here. */
  stillLeads: (term: number, peer: string) => boolean
  /** Stop following / voting for `peer` (its model failed verification, nobody vouched for it, or it stalled). */
  exclude: (peer: string, reason: string) => void
  /** Undo exclude() (a time-limited exclusion ended). */
  include: (peer: string) => void
  /** The leader and its successor (NodeConfig.leaderLinks): whom updates also go to directly. */
  hubs?: () => string[]
  addEventListener: (type: 'leader-changed', listener: (evt: CustomEvent<{ term: number, leader: string | undefined }>) => void) => void
  removeEventListener: (type: 'leader-changed', listener: (evt: CustomEvent<{ term: number, leader: string | undefined }>) => void) => void
}

export interface TrainingInit {
  ticker: Ticker
  heartbeat: () => Pick<Heartbeat, 'membership' | 'addEventListener' | 'removeEventListener'>
  election: () => TrainingElection
  /** Direct neighbours, asked for a model when this node is behind. */
  neighbours: () => string[]
  /** Attacker mode (`none` = honest). */
  attack?: string
  /**
   * Publish on the model topic (only a coordinator does: announcements, extensions, model headers) to every direct
   * neighbour subscribed to it, not only the mesh peers (NodeConfig.leaderFlood); default false.
   */
  floodModelTopic?: boolean
  /**
   * Send this node's update chunks also straight to the coordinator and its successor (TrainingElection.hubs) when
   * they are direct neighbours, besides the mesh peers (NodeConfig.leaderLinks); default false.
   */
  updatesToHubs?: boolean
  /** Deflate this node's int8 updates on the wire where that makes them smaller (NodeConfig.compressUpdates); default false. */
  compressUpdates?: boolean
  /** The session's aggregation rule; default Krum with f = 0. */
  aggregator?: AggregatorSpec
  /** Updates needed to close a round at its deadline; default 3. */
  minParticipants?: number
  /** Round deadline announced when coordinating, ms; default 30 000. */
  deadlineMs?: number
  /** Rounds a coordinator opens (0 or absent = unbounded). */
  maxRounds?: number
  /** A leader that makes no progress this long (ms) is given up on for as long again; default 4 round deadlines. */
  stallTimeoutMs?: number
  /** Least time between two trainings of this node, ms (paces rounds; half in a new coordinator's round, trainNotBefore); default 0. */
  paceMs?: number
  /** Least time between coming to hold a model and training on it, ms (FedmeshConfig.trainAfterModelMs); default 0. */
  trainAfterModelMs?: number
  /** As coordinator, the most a round taken over (failover) waits for its last f members, ms (FedmeshConfig.takeoverLastFWaitMs); default RoundSession's. */
  takeoverLastFWaitMs?: number
  /** Verification grace, ms; default 3000. */
  graceMs?: number
  /** L2 bound on a dequantised update; default 100. */
  maxNorm?: number
  /** Tick period, ms; default 250. */
  tickMs?: number
  /** Per model fetch attempt, ms; default 15 000. */
  fetchTimeoutMs?: number
  /** What one peer may be served (models and update chunks, both protocols together); default DEFAULT_SERVE_BUDGET. */
  serveBudget?: PeerBudgetSpec
  maxChunkBytes?: number
  clock?: { now: () => number }
  /** Epoch milliseconds for `heldAt` (default Date.now): comparable across the tabs and processes of one machine. */
  wallClock?: { now: () => number }
  random?: () => number
}

/** Settings a node's creator may tune beyond its configuration (tests, simulations). */
export type TrainingTuning = Partial<Pick<TrainingInit, 'attack' | 'graceMs' | 'maxNorm' | 'tickMs' | 'fetchTimeoutMs' | 'serveBudget' | 'maxChunkBytes' | 'compressUpdates' | 'clock' | 'random'>>

export interface TrainingComponents {
  peerId: PeerId
  logger: ComponentLogger
  pubsub: FloodPublishing
  privateKey: PrivateKey
  registrar: { handle: (protocol: string, handler: (stream: Stream, connection: Connection) => void | Promise<void>, options?: Record<string, unknown>) => Promise<void>, unhandle: (protocol: string) => Promise<void> }
  connectionManager: { getConnections: (peerId?: PeerId) => Connection[] }
}

/** What `begin()` needs: the session and where to start from. */
export interface TrainingSession {
  session: string
  task?: string
  /**
   * Version 0 (the session's initial weights) or a checkpointed global model. `verified` defaults to version 0 only:
   * a checkpoint may hold a model this node fetched, so it does not vouch for it (heartbeat head) until it verifies one.
   */
  model: { version: number, round?: number, term?: number, tensors: Tensor[], verified?: boolean }
  learner?: TrainingLearner
  /** Accepted global models are saved here under `key`. */
  checkpoints?: { store: CheckpointStore, key: string }
}

export interface TrainedModel {
  session: string
  version: number
  round: number
  term: number
  coordinator?: string
  tensors: Tensor[]
  /** verified: recomputed by this node; coordinated: aggregated by it; fetched: adopted (late joiner); rolled-back. */
  source: 'verified' | 'coordinated' | 'fetched' | 'rolled-back'
}

export interface TrainingEvents {
  /** This node holds a new global model (the app adopts it: LocalLearning.adopt). */
  model: CustomEvent<TrainedModel>
  /** A session is running (rounds are being opened) or has gone quiet: the app pauses its local-only schedule. */
  'session-running': CustomEvent<{ running: boolean }>
}

export interface TrainingRoundReport {
  version: number
  round: number
  term: number
  coordinator: string
  verified: boolean
  rule: string
  included: Array<{ digest: string, peer: string, score: number | null, selected: boolean }>
  excluded: string[]
  /** last update received -> global model published (seen here) -> accepted (verified) here, ms. */
  overheadMs: { updateToModel?: number, modelToVerified?: number, total?: number }
  /**
   * As this round's coordinator: members expected, updates aggregated, stragglers left out, and how long it waited for
   * the last f once the others had reported (the part of updateToModel spent waiting), ms.
   */
  closed?: { expected: number, included: number, stragglers: number, durationMs: number, lastInputMs?: number, lastFWaitMs?: number, aggregateMs?: number }
}

/**
 * TrainingStatus.roundTimes: epoch ms of this node's steps in one round, each the first time it happened; and, for the
 * last UPDATES_IN_ROUNDS rounds only (it is one entry per member), when each member's update was complete here.
 */
export interface RoundTimes { openedAt?: number, reopenedAt?: number, trainAt?: number, sentAt?: number, updatesIn?: Record<string, number> }

/** Rounds whose RoundTimes.updatesIn a node keeps: enough for a status poll a few rounds apart, small in every poll. */
const UPDATES_IN_ROUNDS = 3

/** Plain JSON for status().training. */
export interface TrainingStatus {
  state: 'idle' | 'waiting' | 'running' | 'stopped'
  /** Why rounds are not progressing (e.g. the rule's precondition message), when they are not. */
  message?: string
  /** With `message` after an extended round (as its coordinator): expected members whose update it does not hold. */
  waitingFor?: string[]
  session?: string
  task?: string
  attack: string
  config: { rule: string, f: number, minParticipants: number, deadlineMs: number, maxRounds: number, paceMs: number }
  role: 'coordinator' | 'participant'
  term: number
  coordinator?: string
  /** Version of the global model held (= last round completed). */
  version: number
  /**
   * The model this node began the session from: version 0 (the session's initial weights) or a checkpointed global
   * model (a reloaded tab resumes from it and catches up from there); its coordinator term, and whether this node
   * counts it as verified (a checkpoint may hold a fetched model).
   */
  began?: { version: number, term: number, verified: boolean }
  /** digestWeights of the model held (what heartbeats advertise). */
  modelDigest?: string
  /** Recomputed by this node (false: the initial model, or one fetched as a late joiner or on catching up). */
  verifiedModel: boolean
  /** The round in play, if any. */
  round?: number
  participants?: { reported: number, expected?: number }
  lastRound?: TrainingRoundReport
  /**
   * When this node came to hold each of its last 32 model versions (computed, verified or fetched), epoch ms on its
   * wall clock: a swarm on one machine compares them with the moment a tab was closed, free of polling delays.
   */
  heldAt: Record<string, number>
  /** The coordinator term of each model in heldAt: which versions a takeover made, even those no poll saw held. */
  heldTerm: Record<string, number>
  /**
   * This node's part in each of its last 32 rounds, epoch ms on the same clock as heldAt: when it first followed the
   * round's announcement (and a taken-over round's re-announcement), started training for it, and first published
   * its update. With heldAt and the moment a tab was closed, a swarm can tell which step a slow round (a failover's,
   * say) waited on.
   */
  roundTimes: Record<string, RoundTimes>
  /**
   * Round announcements parked on arrival because this node's election did not name their coordinator (yet), and
   * those followed while its lease on their coordinator had lapsed (the election still took it as leader).
   */
  opens: { parked: number, underLapsedLease: number }
  /**
   * verifiedAhead: models verified with the aggregate this node computed before their header came (of aggregatesAhead
   * computed). rejected: models that failed verification (proof against their coordinator); unverifiable: models this
   * node could not check (it missed the round's announcement or an included update: `verification:unknown-round`,
   * `verification:missing-update` in rejectReasons), not adopted on receipt but fetched once f + 1 peers vouch for them.
   */
  models: { accepted: number, verified: number, verifiedAhead: number, aggregatesAhead: number, coordinated: number, fetched: number, rejected: number, unverifiable: number, rejectReasons: Record<string, number> }
  /**
   * resent: this node's update published again (its round stayed open a deadline after it was sent, or a new
   * coordinator took the round over without listing it as held: resentOnTakeover); spared: takeovers that listed it,
   * so no copy went out; heldBack: takeover copies held back because the update had just gone out, heldBackSent: of
   * them, those sent after all (the round still open when they were due). sentBytes and sentParameters: the chunk
   * messages' bytes (headers included) and the parameters of the updates sent as gossip (not an attacker's wire
   * payloads), so their ratio is what an update costs per parameter on the wire.
   */
  updates: { sent: number, sentBytes: number, sentParameters: number, received: number, resent: number, resentOnTakeover: number, spared: number, heldBack: number, heldBackSent: number, rejected: Record<string, number> }
  training: { runs: number, skipped: Record<string, number>, lastLoss?: number, lastLossBefore?: number, lastTrainMs?: number, lastError?: string }
  /**
   * catchUps: fetches started because the leader's heartbeat advertised a newer model than this node held.
   * unvouched: models this node was told to fetch that fewer than f + 1 peers advertised as verified in time (not fetched).
   * wanted: the model this node means to adopt unverified, while it waits for f + 1 vouchers (`asked` once it has them).
   * limited: model requests refused because the asking peer had spent its serve budget (`serveBudget`).
   */
  fetch: { requested: number, fetched: number, failed: number, served: number, refused: number, limited: number, catchUps: number, unvouched: number, wanted?: { version: number, digest: string, from: string, asked: boolean }, lastError?: string }
  /** Updates a parked model lacked, asked of neighbours over /fedmesh/updates/1.0.0 (and what this node served). */
  updateFetch: UpdateFetchStatus
  suspicion: Array<{ peer: string, score: number, quarantined: boolean, reasons: Record<string, number> }>
  quarantined: string[]
  /**
   * Peers this node stops following as coordinator: for good after a disproved model, for 10 deadlines after an
   * unvouched one, for stallTimeoutMs after one that made no progress for that long.
   */
  excludedCoordinators: string[]
  /** Leaders this node gave up on because they made no progress for stallTimeoutMs ('coordinator-stalled'). */
  coordinatorStalls: number
  attackCounts?: Record<string, number>
  traffic: { messagesIn: number, messagesOut: number, bytesIn: number, bytesOut: number, publishErrors: number }
}

interface PendingTrain { round: number, term: number, baseVersion: number, deadlineAt: number, notBefore: number }
interface PendingSubmit { update: Omit<ModelUpdate, 'tensors'>, delta: Float32Array, readyAt: number, waitUntil: number }

/** How soon a node without enough local data retries training in the same round. */
const NO_DATA_RETRY_MS = 1_000

const VERDICT: Record<Verdict, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject
}

export class TrainingService extends TypedEventEmitter<TrainingEvents> implements Startable {
  private readonly log: Logger
  private readonly self: string
  private readonly clock: { now: () => number }
  private readonly wallClock: { now: () => number }
  /** Version -> when this node came to hold it (wall clock) and the term it was made under; the last 32. */
  private readonly held = new Map<number, { at: number, term: number }>()
  private readonly roundTimes = new Map<number, RoundTimes>()
  private readonly attacker: Attacker
  private readonly cfg: { aggregator: AggregatorSpec, minParticipants: number, deadlineMs: number, maxRounds: number, paceMs: number, trainAfterModelMs: number, graceMs: number, maxNorm: number, stallTimeoutMs: number }
  private s: RoundSession | undefined
  private info: TrainingSession | undefined
  private shapes: TensorSpec[] = []
  private stops: Array<() => void> = []
  private running = false
  private sessionRunning = false
  private lastRoundActivity = -Infinity
  private settleQueued = false
  private membershipDirty = true
  private sending: Promise<void> = Promise.resolve()
  private pendingTrain: PendingTrain | undefined
  private pendingSubmit: PendingSubmit | undefined
  private trainingNow = false
  private lastTrainAt = -Infinity
  /** The coordinator term of the round this node last trained for. */
  private lastTrainTerm = -1
  /** When this node came to hold its current model (the service's clock). */
  private modelHeldAt = -Infinity
  private wanted: { version: number, from: string } | undefined
  private fetching = false
  /** Leaders given up on, for a while: nobody could vouch for their model (model-unvouched), or they made no progress. */
  private readonly stalledCoordinators = new Map<string, number>()
  private lastFetchAt = -Infinity
  /** Since when the leader's advertised model is ahead of this node's (anti-entropy, see catchUp). */
  private behindSince: number | undefined
  private servedCache: { version: number, bytes: Uint8Array } | undefined
  private lastUpdateAt = new Map<number, number>()
  /** The last round this node closed as coordinator: reported with that round's model (lastRound.closed). */
  private lastClosed: Extract<RoundsEvent, { type: 'round-closed' }> | undefined
  private modelSeenAt = new Map<number, number>()
  private lastRound: TrainingRoundReport | undefined
  /** Why rounds are not progressing, and after an extended round whose updates its coordinator lacks. */
  private stall: { message: string, waitingFor?: string[] } | undefined
  private readonly excludedCoordinators = new Set<string>()
  private readonly counters = {
    modelsCoordinated: 0,
    modelsVerified: 0,
    modelsAccepted: 0,
    modelsFetched: 0,
    modelsRejected: 0,
    modelsUnverifiable: 0,
    updatesSent: 0,
    updateBytesSent: 0,
    updateParametersSent: 0,
    updatesReceived: 0,
    trainRuns: 0,
    fetchRequested: 0,
    fetchFetched: 0,
    fetchFailed: 0,
    served: 0,
    refused: 0,
    limited: 0,
    catchUps: 0,
    unvouched: 0,
    stalls: 0
  }

  private readonly rejectReasons: Record<string, number> = {}
  private readonly updateRejects: Record<string, number> = {}
  private readonly skipped: Record<string, number> = {}
  private readonly traffic = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, publishErrors: 0 }
  private lastTrain: { loss?: number, lossBefore?: number, ms?: number, error?: string } = {}
  private lastFetchError: string | undefined
  private readonly updateFetcher: UpdateFetcher
  private readonly serveBudget: PeerBudget
  /** The model begin() started the session from (status().training.began). */
  private began: { version: number, term: number, verified: boolean } | undefined

  constructor (private readonly components: TrainingComponents, private readonly init: TrainingInit) {
    super()
    this.log = components.logger.forComponent('fedmesh:training')
    this.self = components.peerId.toString()
    this.clock = init.clock ?? { now: () => performance.now() }
    this.wallClock = init.wallClock ?? { now: () => Date.now() }
    this.attacker = new Attacker(init.attack ?? 'none', init.random ?? Math.random)
    this.cfg = {
      aggregator: init.aggregator ?? { rule: 'krum', f: 0 },
      minParticipants: init.minParticipants ?? 3,
      deadlineMs: init.deadlineMs ?? 30_000,
      maxRounds: init.maxRounds ?? 0,
      paceMs: init.paceMs ?? 0,
      trainAfterModelMs: init.trainAfterModelMs ?? 0,
      graceMs: init.graceMs ?? 3_000,
      maxNorm: init.maxNorm ?? 100,
      stallTimeoutMs: init.stallTimeoutMs ?? 4 * (init.deadlineMs ?? 30_000)
    }
    this.serveBudget = new PeerBudget(init.serveBudget ?? DEFAULT_SERVE_BUDGET)
    this.updateFetcher = new UpdateFetcher({
      topic: UPDATES_TOPIC,
      self: this.self,
      privateKey: components.privateKey,
      session: () => this.running ? this.info?.session : undefined,
      connection: peer => this.directConnection(peer),
      neighbours: () => this.init.neighbours(),
      missing: (round, digests) => digests.filter(d => this.s?.pool.get(round, d) === undefined),
      held: round => this.s?.pool.digests(round) ?? [],
      firstRound: () => this.s?.pool.window[0] ?? 1,
      deliver: (from, data) => {
        const s = this.s
        if (s === undefined || !this.running) return 'no-session'
        const r = s.onUpdateMessage(data, from)
        this.apply(r)
        this.settleSoon()
        return r.verdict === 'accept' && r.reason === undefined ? undefined : r.reason ?? r.verdict
      },
      // a chunk's data is at most maxChunkBytes (plus the signed envelope); an update at most its float32 bound
      limits: digests => {
        const chunk = this.init.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES
        return { maxFrameBytes: chunk + 1024, maxFrames: digests * (Math.ceil(float32PayloadBound(this.shapes) / chunk) + 1) }
      },
      timeoutMs: Math.min(this.init.fetchTimeoutMs ?? 15_000, this.cfg.graceMs)
    })
    this.onLeaderChanged = this.onLeaderChanged.bind(this)
    this.onMembershipChange = this.onMembershipChange.bind(this)
  }

  readonly [Symbol.toStringTag] = '@fedmesh/training'

  async start (): Promise<void> {
    await this.components.registrar.handle(MODEL_FETCH_PROTOCOL, this.withinBudget(async (stream, charge) => { await this.serve(stream, charge) }, () => { this.counters.limited++ }), { maxInboundStreams: 4, runOnLimitedConnection: false })
    await this.components.registrar.handle(UPDATE_FETCH_PROTOCOL, this.withinBudget(async (stream, charge) => { await this.updateFetcher.serve(stream, charge) }, () => { this.updateFetcher.noteLimited() }), { maxInboundStreams: 4, runOnLimitedConnection: false })
  }

  /**
   * A stream handler that serves the asking peer only within its serve budget: past it the stream is reset before the
   * request is read (`limited` counts it); else `serve` answers and charges the reply's bytes to the peer.
   */
  private withinBudget (serve: (stream: Stream, charge: (bytes: number) => void) => Promise<void>, limited: () => void): (stream: Stream, connection: Connection) => void {
    return (stream, connection) => {
      const peer = connection.remotePeer.toString()
      if (!this.serveBudget.admit(peer, this.clock.now())) {
        limited()
        stream.abort(new Error('rate limited: this peer asked for more than its serve budget'))
        return
      }
      void serve(stream, bytes => { this.serveBudget.charge(peer, bytes, this.clock.now()) })
    }
  }

  afterStart (): void {
    this.running = true
    if (this.info !== undefined) this.attach()
  }

  async stop (): Promise<void> {
    this.running = false
    this.detach()
    await this.components.registrar.unhandle(MODEL_FETCH_PROTOCOL)
    await this.components.registrar.unhandle(UPDATE_FETCH_PROTOCOL)
  }

  /** The round session, once begun (tests and the status API read it). */
  get session (): RoundSession | undefined { return this.s }

  /** The global model this node holds, if a session has begun. */
  model (): TrainedModel | undefined {
    const s = this.s
    if (s === undefined || this.info === undefined) return undefined
    const m = s.model
    return { session: this.info.session, version: m.version, round: m.version, term: m.term, tensors: m.tensors, source: m.verified ? 'verified' : 'fetched' }
  }

  /**
   * Join a session: starting model (version 0 or a checkpointed global model) and the learner. Subscribes to the
   * training topics (a node that never begins does not route training traffic). Call once.
   */
  begin (session: TrainingSession): void {
    if (this.info !== undefined) throw new Error(`training already begun (session '${this.info.session}')`)
    this.info = session
    this.began = { version: session.model.version, term: session.model.term ?? 0, verified: session.model.verified ?? session.model.version === 0 }
    this.shapes = session.model.tensors.map(t => ({ name: t.name, shape: [...t.shape] }))
    this.s = new RoundSession({
      self: this.self,
      session: session.session,
      clock: this.clock,
      model: { ...this.began, tensors: session.model.tensors.map(t => ({ name: t.name, shape: [...t.shape], data: t.data.slice() })) },
      maxNorm: this.cfg.maxNorm,
      aggregator: this.cfg.aggregator,
      minParticipants: this.cfg.minParticipants,
      deadlineMs: this.cfg.deadlineMs,
      graceMs: this.cfg.graceMs,
      ...(this.init.takeoverLastFWaitMs !== undefined ? { takeoverLastFWaitMs: this.init.takeoverLastFWaitMs } : {}),
      stallTimeoutMs: this.cfg.stallTimeoutMs,
      vouched: (version, digest) => this.vouchers(version, digest) >= this.vouchersNeeded,
      stillLeads: (term, peer) => this.init.election().stillLeads(term, peer),
      // messages arrive in gossipsub's topic validator: forward first, verify and aggregate right after (settle)
      settleLater: true,
      ...(this.init.maxChunkBytes !== undefined ? { maxChunkBytes: this.init.maxChunkBytes } : {}),
      compressUpdates: this.init.compressUpdates === true,
      ...(this.cfg.maxRounds > 0 ? { maxRounds: this.cfg.maxRounds } : {})
    })
    if (this.running) this.attach()
  }

  /** The global model held, as heartbeats advertise it (the leader's head lets nodes that missed a model catch up). */
  head (): ModelHead | undefined {
    const s = this.s
    if (s === undefined || this.info === undefined) return undefined
    return { session: this.info.session, version: s.model.version, term: s.model.term, digest: s.model.digest, verified: s.model.verified }
  }

  /** Hand over (or replace) the learner after begin(), e.g. once the worker has started. */
  setLearner (learner: TrainingLearner): void {
    if (this.info === undefined) throw new Error('setLearner before begin()')
    this.info.learner = learner
  }

  private attach (): void {
    const pubsub = this.components.pubsub
    pubsub.topicValidators.set(UPDATES_TOPIC, async (_peer, msg) => this.validate(msg, 'updates'))
    pubsub.topicValidators.set(MODEL_TOPIC, async (_peer, msg) => this.validate(msg, 'model'))
    pubsub.subscribe(UPDATES_TOPIC)
    pubsub.subscribe(MODEL_TOPIC)
    const election = this.init.election()
    election.addEventListener('leader-changed', this.onLeaderChanged)
    this.init.heartbeat().addEventListener('membership:change', this.onMembershipChange)
    this.stops.push(this.init.ticker.every(this.init.tickMs ?? 250, () => { this.tick() }))
    this.membershipDirty = true
    this.tick()
    // the election may have settled before this session began
    const term = election.leaderTerm()
    if (term !== undefined) this.apply(this.s?.onLeader(term, election.leader()))
  }

  private detach (): void {
    for (const s of this.stops) s()
    this.stops = []
    if (this.info === undefined) return
    const pubsub = this.components.pubsub
    pubsub.topicValidators.delete(UPDATES_TOPIC)
    pubsub.topicValidators.delete(MODEL_TOPIC)
    try { pubsub.unsubscribe(UPDATES_TOPIC); pubsub.unsubscribe(MODEL_TOPIC) } catch {}
    this.init.election().removeEventListener('leader-changed', this.onLeaderChanged)
    this.init.heartbeat().removeEventListener('membership:change', this.onMembershipChange)
  }

  // --- inbound ----------------------------------------------------------------------------------------------------

  private validate (msg: Message, topic: 'updates' | 'model'): TopicValidatorResult {
    this.traffic.messagesIn++
    this.traffic.bytesIn += msg.data.byteLength
    const s = this.s
    if (s === undefined || !this.running) return this.drop(topic, 'no-session')
    const from = msg.type === 'signed' ? msg.from.toString() : undefined
    try {
      if (topic === 'model') this.noteModelChunk(msg.data)
      const r = topic === 'updates' ? s.onUpdateMessage(msg.data, from) : s.onModelMessage(msg.data, from)
      if (topic === 'updates' && r.verdict === 'accept' && r.reason === undefined) {
        const c = decodeChunk(msg.data)
        if (c.ok) {
          this.noteUpdate(c.value, from)
          this.updateFetcher.keep(msg, c.value)
        }
      }
      this.apply(r)
      this.settleSoon()
      // the session counts its own reasons (status().training.updates.rejected / models.rejectReasons)
      return VERDICT[r.verdict]
    } catch (err) {
      this.log.error('training %s message handling failed - %e', topic, err)
      return this.drop(topic, 'internal-error')
    }
  }

  /** The session's work left by the messages just handled (settleLater), in the next task: after gossipsub forwarded them. */
  private settleSoon (): void {
    const s = this.s
    if (s === undefined || !s.unsettledWork || this.settleQueued) return
    this.settleQueued = true
    nextMacrotask(() => {
      this.settleQueued = false
      if (this.running && this.s === s) this.apply(s.settle())
    })
  }

  private drop (topic: 'updates' | 'model', reason: string, verdict: Verdict = 'ignore'): TopicValidatorResult {
    const counts = topic === 'updates' ? this.updateRejects : this.rejectReasons
    counts[reason] = (counts[reason] ?? 0) + 1
    return VERDICT[verdict]
  }

  /** When the last update of each round arrived here (the start of the round's aggregation overhead), and whose. */
  private noteUpdate (c: ChunkMessage, from: string | undefined): void {
    if (c.index !== c.count - 1) return
    this.counters.updatesReceived++
    this.lastUpdateAt.set(c.round, this.clock.now())
    if (from === undefined) return
    const t = this.roundTimesOf(c.round)
    t.updatesIn ??= {}
    t.updatesIn[from] ??= this.wallClock.now()
  }

  private noteModelChunk (data: Uint8Array): void {
    const c = decodeChunk(data)
    if (!c.ok || c.value.kind !== 'global-model') return
    if (!this.modelSeenAt.has(c.value.round)) this.modelSeenAt.set(c.value.round, this.clock.now())
  }

  private onLeaderChanged (evt: CustomEvent<{ term: number, leader: string | undefined }>): void {
    if (!this.running || this.s === undefined) return
    // A new leader while this node waits to train in the old one's round: the round will be taken over, and an update
    // counts whatever its term, so the training keeps a new coordinator's (half) pace from now rather than from the
    // re-announcement (round-opened below), which reached the median of 20 busy tabs up to 1.4 s after it recognised
    // the new leader (docs/benchmarks.md, thirty-third session).
    const p = this.pendingTrain
    if (p !== undefined && evt.detail.leader !== undefined && evt.detail.term > p.term) this.pendingTrain = this.hastened(p, evt.detail.term)
    this.apply(this.s.onLeader(evt.detail.term, evt.detail.leader))
  }

  private onMembershipChange (): void {
    this.membershipDirty = true
  }

  private tick (): void {
    const s = this.s
    if (!this.running || s === undefined) return
    const now = this.clock.now()
    if (this.membershipDirty) {
      this.membershipDirty = false
      const alive = this.init.heartbeat().membership.list().filter(m => m.state === 'alive').map(m => m.peerId)
      this.apply(s.onMembership(alive))
    }
    this.apply(s.tick())
    const p = this.pendingTrain
    if (p !== undefined && !this.trainingNow && now >= p.notBefore) {
      this.pendingTrain = undefined
      void this.train(p)
    }
    this.trySubmit(now)
    this.catchUp(s, now)
    for (const [peer, until] of this.stalledCoordinators) {
      if (now < until) continue
      this.stalledCoordinators.delete(peer)
      this.includeUnlessExcluded(peer)
    }
    if (this.wanted !== undefined && !this.fetching && now - this.lastFetchAt > 2_000) void this.fetch()
    const running = now - this.lastRoundActivity < 2 * this.cfg.deadlineMs + this.cfg.paceMs
    if (running !== this.sessionRunning) {
      this.sessionRunning = running
      this.safeDispatchEvent('session-running', { detail: { running } })
    }
  }

  /**
   * Anti-entropy: the leader's heartbeat says which model it holds. Behind it for twice the verification grace (long
   * enough for a model on its way to arrive and be verified), this node fetches that model instead; a model of that
   * version still being verified here (waiting for updates asked of neighbours) is not fetched (onLeaderHead).
   */
  private catchUp (s: RoundSession, now: number): void {
    const leader = this.init.election().leader()
    const head = leader === undefined || leader === this.self || this.excludedCoordinators.has(leader) ? undefined : this.init.heartbeat().membership.get(leader)?.last?.model
    if (leader === undefined || head === undefined || head.session !== this.info?.session || head.version <= s.model.version) {
      this.behindSince = undefined
      return
    }
    this.behindSince ??= now
    // No extra wait once the model's header is here (there was a round deadline more, for large models whose chunks
    // trickled in): a header is one message, and while it is being verified onLeaderHead leaves it to the verification.
    if (now - this.behindSince < 2 * this.cfg.graceMs || this.wanted !== undefined) return
    const out = s.onLeaderHead(head.version, head.digest, leader)
    if (out.events.some(e => e.type === 'fetch-model')) {
      this.counters.catchUps++
      this.behindSince = undefined
    }
    this.apply(out)
  }

  /**
   * Follow `peer` in the election again once no reason to exclude it holds any more: a disproved model (for good), a
   * model nobody vouched for or a stall (for a while). A quarantine is no reason: it is about a peer's updates, and
   * only the nodes its bad updates reached quarantine it (a coordinator is judged by its models and its progress).
   */
  private includeUnlessExcluded (peer: string): void {
    if (this.excludedCoordinators.has(peer) || this.stalledCoordinators.has(peer)) return
    this.init.election().include(peer)
  }

  /** f + 1: at most f peers are Byzantine, so this many vouchers include an honest one. */
  private get vouchersNeeded (): number { return (this.cfg.aggregator.f ?? 0) + 1 }

  /**
   * Live peers whose heartbeat advertises model `version` with weights `digest` of this session as verified by
   * themselves (recomputed, or computed as its coordinator). f + 1 of them include at least one honest node.
   */
  private vouchers (version: number, digest: string): number {
    const session = this.info?.session
    return this.init.heartbeat().membership.list().filter(m => {
      const h = m.last?.model
      return m.state === 'alive' && h !== undefined && h.verified && h.session === session && h.version === version && h.digest === digest
    }).length
  }

  // --- outputs of the session ---------------------------------------------------------------------------------------

  private apply (out: Output | undefined): void {
    if (out === undefined) return
    const publish = this.s?.isCoordinator === true ? this.attacker.lie(out.publish, this.init.maxChunkBytes, v => this.s?.model.version === v ? this.s.model.tensors : undefined) : out.publish
    for (const p of publish) this.publish(p.topic === 'updates' ? UPDATES_TOPIC : MODEL_TOPIC, p.data)
    for (const e of out.events) {
      try {
        this.onEvent(e)
      } catch (err) {
        this.log.error('training event %s failed - %e', e.type, err)
      }
    }
  }

  private publish (topic: string, data: Uint8Array): void {
    if (topic === MODEL_TOPIC) this.noteModelChunk(data)
    else this.updateFetcher.keepOwn(data)
    this.sending = this.sending.then(async () => {
      try {
        const result = await this.components.pubsub.publish(topic, data, this.publishOptions(topic))
        this.traffic.messagesOut += result.recipients.length
        this.traffic.bytesOut += data.byteLength * result.recipients.length
      } catch (err: any) {
        this.traffic.publishErrors++
        this.log('publish on %s failed: %s', topic, err?.message ?? err)
      }
    })
  }

  /** Gossipsub's per-message options: the coordinator's model-topic messages flooded, updates also sent to the hubs. */
  private publishOptions (topic: string): { floodPublish?: boolean, alsoTo?: string[] } | undefined {
    if (topic === MODEL_TOPIC) return this.init.floodModelTopic === true ? { floodPublish: true } : undefined
    if (this.init.updatesToHubs !== true) return undefined
    const hubs = this.init.election().hubs?.() ?? []
    return hubs.length > 0 ? { alsoTo: hubs } : undefined
  }

  private onEvent (e: RoundsEvent): void {
    const now = this.clock.now()
    switch (e.type) {
      case 'train': {
        this.lastRoundActivity = now
        const notBefore = this.trainNotBeforeIn(e.term, e.deadlineAt)
        this.pendingTrain = { round: e.round, term: e.term, baseVersion: e.baseVersion, deadlineAt: e.deadlineAt, notBefore }
        break
      }
      case 'round-opened': {
        this.lastRoundActivity = now
        this.markRound(e.round, e.failover ? 'reopenedAt' : 'openedAt')
        this.stall = undefined
        // A new coordinator took over the round this node still waits to train in (asked once per round, under the
        // old one): its training is the new term's now, paced as a new coordinator's round is (trainNotBefore).
        const p = this.pendingTrain
        if (e.failover && p !== undefined && p.round === e.round && e.term > p.term) this.pendingTrain = { ...this.hastened(p, e.term), term: e.term }
        break
      }
      case 'round-extended':
        this.stall = { message: `round ${e.round} extended (${e.reason}): ${e.detail}`, waitingFor: e.waitingFor }
        // short of updates at the deadline: some may exist that gossip never brought here, and their authors' copies
        // stop at the first nodes that hold them, so ask the neighbours (once per extension, i.e. per deadline)
        this.updateFetcher.sweep(e.round)
        break
      case 'aggregation-error':
        this.stall = { message: `round ${e.round}: ${e.message}` }
        break
      case 'round-closed':
        this.stall = undefined
        this.lastClosed = e
        break
      case 'model-accepted':
        this.lastRoundActivity = now
        this.onAccepted(e, now)
        break
      case 'model-rejected':
        // only proof (a model that recomputes to something else) makes the election drop its coordinator: a model
        // this node could not check (an update or the announcement never reached it) may be gossip loss
        if (isUnverifiable(e.reason)) {
          this.counters.modelsUnverifiable++
          break
        }
        this.counters.modelsRejected++
        if (e.coordinator !== this.self) {
          this.excludedCoordinators.add(e.coordinator)
          this.init.election().exclude(e.coordinator, `model v${e.version} failed verification: ${e.reason}`)
        }
        break
      case 'fetch-updates':
        this.updateFetcher.ask(e)
        break
      case 'fetch-model':
        this.wanted = { version: e.version, from: e.from }
        this.counters.fetchRequested++
        if (!this.fetching) void this.fetch()
        break
      case 'model-unvouched':
        // nobody honest could verify what this node was told to fetch: stop following its source if it leads
        this.counters.unvouched++
        this.lastFetchError = `v${e.version} from ${e.from}: fewer than ${this.vouchersNeeded} peers vouched for it in ${Math.round(e.waitedMs / 1000)} s`
        // Not proof (an honest coordinator whose own update reached nobody looks the same), so for a while only:
        // long enough for another node to be elected and re-run the round.
        if (e.from !== this.self && e.from === this.init.election().leader() && !this.excludedCoordinators.has(e.from)) {
          this.stalledCoordinators.set(e.from, now + UNVOUCHED_EXCLUSION_ROUNDS * this.cfg.deadlineMs)
          this.init.election().exclude(e.from, `model v${e.version}: no f + 1 peers verified it`)
        }
        break
      case 'model-fetched':
        this.counters.modelsFetched++
        if (this.wanted !== undefined && this.wanted.version <= e.version) this.wanted = undefined
        this.announce('fetched')
        break
      case 'model-rolled-back':
        this.announce('rolled-back')
        break
      case 'coordinator-stalled':
        // Every follower sees the same absence of models, so a quorum gives up on the leader at about the same time
        // and elects another. Not proof either (too few live participants stall an honest leader too): for a while.
        if (e.coordinator !== this.self && e.coordinator === this.init.election().leader() && !this.excludedCoordinators.has(e.coordinator)) {
          this.counters.stalls++
          this.stalledCoordinators.set(e.coordinator, now + this.cfg.stallTimeoutMs)
          this.init.election().exclude(e.coordinator, `no progress for ${Math.round(e.sinceMs / 1000)} s at v${e.version}`)
        }
        break
    }
  }

  private onAccepted (e: Extract<RoundsEvent, { type: 'model-accepted' }>, now: number): void {
    const s = this.s
    if (s === undefined) return
    this.counters.modelsAccepted++
    if (e.verified) this.counters.modelsVerified++
    if (e.coordinator === this.self) this.counters.modelsCoordinated++
    if (this.wanted !== undefined && this.wanted.version <= e.version) this.wanted = undefined
    const g = s.model.global
    const selected = new Set(e.selected)
    const lastUpdate = this.lastUpdateAt.get(e.round)
    const seen = this.modelSeenAt.get(e.round)
    this.lastRound = {
      version: e.version,
      round: e.round,
      term: e.term,
      coordinator: e.coordinator,
      verified: e.verified,
      rule: g?.rule ?? this.cfg.aggregator.rule,
      included: (g?.includedDigests ?? []).map((digest, i) => {
        const peer = e.included[i] ?? ''
        const score = g?.scores[i]
        return { digest, peer, score: score === undefined || !Number.isFinite(score) ? null : score, selected: selected.has(peer) }
      }),
      excluded: [...e.excluded],
      overheadMs: {
        ...(lastUpdate !== undefined && seen !== undefined ? { updateToModel: round1(Math.max(0, seen - lastUpdate)) } : {}),
        ...(seen !== undefined ? { modelToVerified: round1(Math.max(0, now - seen)) } : {}),
        ...(lastUpdate !== undefined ? { total: round1(Math.max(0, now - lastUpdate)) } : {})
      }
    }
    const closed = this.lastClosed
    if (e.coordinator === this.self && closed?.round === e.round) {
      const { type: _type, round: _round, stragglers, ...figures } = closed
      this.lastRound.closed = { ...figures, stragglers: stragglers.length }
    }
    for (const r of [...this.lastUpdateAt.keys()]) if (r <= e.round) this.lastUpdateAt.delete(r)
    for (const r of [...this.modelSeenAt.keys()]) if (r <= e.round) this.modelSeenAt.delete(r)
    this.servedCache = undefined
    this.announce(e.coordinator === this.self ? 'coordinated' : 'verified', e.coordinator)
  }

  /** Checkpoint the model now held and tell the app. */
  private announce (source: TrainedModel['source'], coordinator?: string): void {
    const s = this.s
    const info = this.info
    if (s === undefined || info === undefined) return
    const m = s.model
    if (source !== 'rolled-back') {
      this.modelHeldAt = this.clock.now()
      this.held.set(m.version, { at: this.wallClock.now(), term: m.term })
      for (const v of this.held.keys()) if (v <= m.version - 32) this.held.delete(v)
    }
    // copies: listeners may hand the arrays to a worker (transfer detaches them); the session's model must stay intact
    const tensors = m.tensors.map(t => ({ name: t.name, shape: [...t.shape], data: t.data.slice() }))
    const model: TrainedModel = { session: info.session, version: m.version, round: m.version, term: m.term, tensors, source, ...(coordinator !== undefined ? { coordinator } : {}) }
    const cp = info.checkpoints
    if (cp !== undefined) {
      cp.store.save({ session: cp.key, version: m.version, round: m.version, term: m.term, weights: tensors.map(t => ({ ...t, data: t.data.slice() })), savedAt: Date.now() })
        .catch((err: unknown) => { this.log('checkpoint failed: %s', err instanceof Error ? err.message : String(err)) })
    }
    this.safeDispatchEvent('model', { detail: model })
  }

  // --- training ---------------------------------------------------------------------------------------------------

  private async train (p: PendingTrain): Promise<void> {
    const s = this.s
    const info = this.info
    if (s === undefined || info === undefined) return
    const learner = info.learner
    if (learner === undefined) { this.skip('no-learner'); return }
    if (s.model.version !== p.baseVersion) { this.skip('stale-round'); return }
    this.trainingNow = true
    this.lastTrainAt = this.clock.now()
    this.lastTrainTerm = p.term
    this.markRound(p.round, 'trainAt')
    const from = s.model.tensors
    try {
      const result = await learner.train(from, { session: info.session, round: p.round, attack: this.attacker.name })
      if (result === undefined) {
        // too little local data yet (link-health collects a sample per heartbeat): try again while the round is open,
        // since a participant is asked to train once per round
        this.skip('no-data')
        if (this.s === s && s.model.version === p.baseVersion && s.participant.active?.open.round === p.round) {
          this.pendingTrain ??= { ...p, notBefore: this.clock.now() + NO_DATA_RETRY_MS }
        }
        return
      }
      if (this.s !== s || s.model.version !== p.baseVersion) { this.skip('round-moved-on'); return }
      this.counters.trainRuns++
      this.lastTrain = { ...(result.loss !== undefined ? { loss: result.loss } : {}), ...(result.lossBefore !== undefined ? { lossBefore: result.lossBefore } : {}), ms: round1(this.clock.now() - this.lastTrainAt) }
      const trained = flattenTensors(result.weights)
      const base = flattenTensors(from)
      const delta = new Float32Array(base.length)
      for (let i = 0; i < delta.length; i++) delta[i] = (trained[i] as number) - (base[i] as number)
      const header = { session: info.session, round: p.round, term: p.term, baseVersion: p.baseVersion, samples: Math.max(1, Math.round(result.samples)), sender: this.self }
      // ALIE and IPM shape their update from the honest ones: wait (within the round) until some have arrived
      const observes = this.attacker.name === 'alie' || this.attacker.name === 'ipm'
      const now = this.clock.now()
      this.pendingSubmit = { update: header, delta, readyAt: now, waitUntil: observes ? now + Math.max(0, (p.deadlineAt - now) * 0.4) : now }
      this.trySubmit(now)
    } catch (err) {
      this.lastTrain = { ...this.lastTrain, error: err instanceof Error ? err.message : String(err) }
      this.skip('learner-error')
    } finally {
      this.trainingNow = false
    }
  }

  private trySubmit (now: number): void {
    const p = this.pendingSubmit
    const s = this.s
    if (p === undefined || s === undefined) return
    if (s.model.version !== p.update.baseVersion) { this.pendingSubmit = undefined; this.skip('round-moved-on'); return }
    const benign = s.pool.updates(p.update.round).filter(h => h.from !== this.self)
    const alive = Math.max(1, this.aliveCount())
    if (now < p.waitUntil && benign.length < Math.max(2, Math.ceil((alive - 1) / 2))) return
    this.pendingSubmit = undefined
    try {
      const f = this.cfg.aggregator.f ?? 0
      const delta = this.attacker.poison(p.delta, benign.map(h => flatDelta(h)), alive, f)
      const tensors = unflattenTensors(delta, this.shapes)
      const update: ModelUpdate = { ...p.update, tensors: quantizeDelta(tensors, { scheme: 'int8' }).tensors }
      const wire = this.attacker.wireChunks(update, this.shapes, this.init.maxChunkBytes)
      this.counters.updatesSent++
      if (wire !== undefined) {
        for (const data of wire) this.publish(UPDATES_TOPIC, data)
        return
      }
      this.lastUpdateAt.set(update.round, now)
      this.markRound(update.round, 'sentAt')
      const out = s.submitUpdate(update)
      const chunks = out.publish.filter(p => p.topic === 'updates')
      if (chunks.length > 0) {
        this.counters.updateBytesSent += chunks.reduce((n, p) => n + p.data.byteLength, 0)
        this.counters.updateParametersSent += this.shapes.reduce((n, t) => n + elementCount(t.shape), 0)
      }
      this.apply(out)
    } catch (err) {
      this.lastTrain = { ...this.lastTrain, error: err instanceof Error ? err.message : String(err) }
      this.skip('submit-error')
    }
  }

  /** When this node may train in a round of coordinator term `term` whose deadline is `deadlineAt` (trainNotBefore over this node's pace and state). */
  private trainNotBeforeIn (term: number, deadlineAt: number): number {
    return trainNotBefore({ lastTrainAt: this.lastTrainAt, paceMs: this.cfg.paceMs, newTerm: term > this.lastTrainTerm, modelHeldAt: this.modelHeldAt, trainAfterModelMs: this.cfg.trainAfterModelMs, deadlineAt, deadlineMs: this.cfg.deadlineMs })
  }

  /** `p` scheduled no later than a round of term `term` would be (the half pace of a new coordinator's round). */
  private hastened (p: PendingTrain, term: number): PendingTrain {
    return { ...p, notBefore: Math.min(p.notBefore, this.trainNotBeforeIn(term, p.deadlineAt)) }
  }

  /** Records the first time of `step` in `round` (roundTimes), keeping the last 32 rounds. */
  private markRound (round: number, step: Exclude<keyof RoundTimes, 'updatesIn'>): void {
    this.roundTimesOf(round)[step] ??= this.wallClock.now()
  }

  /** Round `round`'s RoundTimes, made on first use; the last 32 rounds are kept, their updatesIn for the last UPDATES_IN_ROUNDS. */
  private roundTimesOf (round: number): RoundTimes {
    let t = this.roundTimes.get(round)
    if (t === undefined) {
      t = {}
      this.roundTimes.set(round, t)
      for (const [r, times] of this.roundTimes) {
        if (r <= round - 32) this.roundTimes.delete(r)
        else if (r <= round - UPDATES_IN_ROUNDS) delete times.updatesIn
      }
    }
    return t
  }

  private skip (reason: string): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1
  }

  private aliveCount (): number {
    return this.init.heartbeat().membership.list().filter(m => m.state === 'alive').length + 1
  }

  // --- models over /fedmesh/model/1.0.0 ---------------------------------------------------------------------------

  private async serve (stream: Stream, charge: (bytes: number) => void): Promise<void> {
    try {
      const outcome = await serveModelRequest(stream, r => {
        const bytes = this.lookup(r)
        if (bytes !== undefined) charge(bytes.byteLength)
        return bytes
      }, this.init.fetchTimeoutMs ?? 15_000)
      if (outcome === 'served') this.counters.served++
      else this.counters.refused++
    } catch (err: any) {
      this.counters.refused++
      this.log('serving a model failed: %s', err?.message ?? err)
    }
  }

  private lookup (r: ModelRequest): Uint8Array | undefined {
    if (this.s === undefined || r.session !== this.info?.session) return undefined
    const lie = this.attacker.lieAbout(r.version)
    if (lie !== undefined) return lie
    const g = this.s.modelPayload(r.version)
    if (g === undefined) return undefined
    if (this.servedCache?.version !== g.version) this.servedCache = { version: g.version, bytes: encodeGlobalModel(g) }
    return this.servedCache.bytes
  }

  /** Ask the peer that announced the model first, then every direct neighbour, until one hands over a good copy. */
  private async fetch (): Promise<void> {
    const s = this.s
    const w = this.wanted
    if (s === undefined || w === undefined || this.info === undefined) return
    this.fetching = true
    this.lastFetchAt = this.clock.now()
    const cap = float32PayloadBound(this.shapes) + 64 * 10_000 + 4096
    try {
      const candidates = [...new Set([w.from, ...this.init.neighbours()])].filter(p => p !== this.self)
      for (const peer of candidates) {
        if (this.wanted !== w) return
        const connection = this.directConnection(peer)
        if (connection === undefined) continue
        try {
          const bytes = await requestModel(connection, { session: this.info.session, version: w.version }, cap, this.init.fetchTimeoutMs ?? 15_000)
          if (bytes === undefined) continue
          const r = s.onFetchedModel(bytes)
          this.apply(r)
          if (r.ok) { this.counters.fetchFetched++; return }
          this.lastFetchError = `${peer}: ${r.reason ?? 'refused'}`
        } catch (err: any) {
          this.lastFetchError = `${peer}: ${err?.message ?? String(err)}`
        }
      }
      this.counters.fetchFailed++
    } finally {
      this.fetching = false
      this.lastFetchAt = this.clock.now()
    }
  }

  private directConnection (peer: string): Connection | undefined {
    return this.components.connectionManager.getConnections().find(c => c.remotePeer.toString() === peer && c.status === 'open' && c.limits == null)
  }

  // --- status -----------------------------------------------------------------------------------------------------

  status (): TrainingStatus {
    const s = this.s
    const rs: RoundsStatus | undefined = s?.status()
    const quarantined = rs?.suspicion.filter(p => p.quarantined).map(p => p.peer) ?? []
    const attackCounts = this.attacker.honest ? undefined : { ...this.attacker.counts }
    return {
      state: !this.running && this.info !== undefined ? 'stopped' : rs === undefined ? 'idle' : this.sessionRunning && this.stall === undefined ? 'running' : 'waiting',
      ...(this.stall !== undefined ? { message: this.stall.message } : {}),
      ...(this.stall?.waitingFor !== undefined ? { waitingFor: this.stall.waitingFor } : {}),
      ...(this.info !== undefined ? { session: this.info.session } : {}),
      ...(this.info?.task !== undefined ? { task: this.info.task } : {}),
      attack: this.attacker.name,
      config: { rule: this.cfg.aggregator.rule, f: this.cfg.aggregator.f ?? 0, minParticipants: this.cfg.minParticipants, deadlineMs: this.cfg.deadlineMs, maxRounds: this.cfg.maxRounds, paceMs: this.cfg.paceMs },
      role: rs?.role ?? 'participant',
      term: rs?.term ?? 0,
      ...(rs?.leader !== undefined ? { coordinator: rs.leader } : {}),
      version: rs?.version ?? 0,
      ...(this.began !== undefined ? { began: { ...this.began } } : {}),
      ...(rs !== undefined ? { modelDigest: rs.modelDigest } : {}),
      verifiedModel: rs?.modelVerified ?? false,
      ...(rs?.open !== undefined
        ? {
            round: rs.open.round,
            participants: { reported: rs.open.reported.length, ...(rs.open.expected !== undefined ? { expected: rs.open.expected.length } : {}) }
          }
        : {}),
      ...(this.lastRound !== undefined ? { lastRound: structuredCloneJson(this.lastRound) } : {}),
      heldAt: Object.fromEntries([...this.held].map(([v, h]) => [v, h.at])),
      heldTerm: Object.fromEntries([...this.held].map(([v, h]) => [v, h.term])),
      roundTimes: Object.fromEntries([...this.roundTimes].map(([r, t]) => [r, { ...t, ...(t.updatesIn === undefined ? {} : { updatesIn: { ...t.updatesIn } }) }])),
      opens: { parked: rs?.counters.opensParked ?? 0, underLapsedLease: rs?.counters.opensUnderLapsedLease ?? 0 },
      models: {
        accepted: this.counters.modelsAccepted,
        verified: this.counters.modelsVerified,
        verifiedAhead: rs?.counters.verifiedAhead ?? 0,
        aggregatesAhead: rs?.counters.aggregatesAhead ?? 0,
        coordinated: this.counters.modelsCoordinated,
        fetched: this.counters.modelsFetched,
        rejected: this.counters.modelsRejected,
        unverifiable: this.counters.modelsUnverifiable,
        rejectReasons: { ...nonZero(rs?.rejects.model ?? {}), ...prefixed('dropped:', this.rejectReasons) }
      },
      updates: { sent: this.counters.updatesSent, sentBytes: this.counters.updateBytesSent, sentParameters: this.counters.updateParametersSent, received: this.counters.updatesReceived, resent: rs?.counters.updatesResent ?? 0, resentOnTakeover: rs?.counters.resentOnTakeover ?? 0, spared: rs?.counters.resendsSpared ?? 0, heldBack: rs?.counters.copiesHeldBack ?? 0, heldBackSent: rs?.counters.heldBackSent ?? 0, rejected: { ...nonZero(rs?.rejects.updates ?? {}), ...prefixed('dropped:', this.updateRejects) } },
      training: {
        runs: this.counters.trainRuns,
        skipped: { ...this.skipped },
        ...(this.lastTrain.loss !== undefined ? { lastLoss: this.lastTrain.loss } : {}),
        ...(this.lastTrain.lossBefore !== undefined ? { lastLossBefore: this.lastTrain.lossBefore } : {}),
        ...(this.lastTrain.ms !== undefined ? { lastTrainMs: this.lastTrain.ms } : {}),
        ...(this.lastTrain.error !== undefined ? { lastError: this.lastTrain.error } : {})
      },
      fetch: {
        requested: this.counters.fetchRequested,
        fetched: this.counters.fetchFetched,
        failed: this.counters.fetchFailed,
        served: this.counters.served,
        refused: this.counters.refused,
        limited: this.counters.limited,
        catchUps: this.counters.catchUps,
        unvouched: this.counters.unvouched,
        ...(rs?.fetching !== undefined ? { wanted: { version: rs.fetching.version, digest: rs.fetching.digest, from: rs.fetching.from, asked: rs.fetching.asked } } : {}),
        ...(this.lastFetchError !== undefined ? { lastError: this.lastFetchError } : {})
      },
      updateFetch: this.updateFetcher.status(),
      suspicion: (rs?.suspicion ?? []).map(p => ({ peer: p.peer, score: round3(p.score), quarantined: p.quarantined, reasons: { ...p.reasons } as Record<string, number> })),
      quarantined,
      excludedCoordinators: [...new Set([...this.excludedCoordinators, ...this.stalledCoordinators.keys()])],
      coordinatorStalls: this.counters.stalls,
      ...(attackCounts !== undefined ? { attackCounts } : {}),
      traffic: { ...this.traffic }
    }
  }
}

function round1 (x: number): number { return Math.round(x * 10) / 10 }
function round3 (x: number): number { return Math.round(x * 1000) / 1000 }

function nonZero (counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(counts)) if (v > 0) out[k] = v
  return out
}

function prefixed (prefix: string, counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(counts)) out[prefix + k] = v
  return out
}

function structuredCloneJson<T> (v: T): T {
  return JSON.parse(JSON.stringify(v)) as T
}

export function training (init: TrainingInit): (components: TrainingComponents) => TrainingService {
  return (components) => new TrainingService(components, init)
}

/**
 * When a node asked to train may start: `paceMs` after its last training started, and `trainAfterModelMs` after it
 * came to hold the model it trains from (which may still be crossing the mesh); by half the round's deadline in any
 * case, so that pacing never makes it miss the round. In a new coordinator's round (`newTerm`: a term above that of
 * its last training, as after a failover) half the pace: the pace spreads training over the cores, and a full one
 * made a takeover wait for trainings scheduled under the old coordinator (20 tabs paced at 4 s: trainings a median
 * 2.4 s after the close though the round was re-announced after 1.5 s, docs/benchmarks.md, thirty-second session).
 * Half, not none, so that terms changing in quick succession cannot more than double the training rate.
 */
export function trainNotBefore (t: { lastTrainAt: number, paceMs: number, newTerm?: boolean, modelHeldAt: number, trainAfterModelMs: number, deadlineAt: number, deadlineMs: number }): number {
  const pace = t.newTerm === true ? t.paceMs / 2 : t.paceMs
  return Math.min(Math.max(t.lastTrainAt + pace, t.modelHeldAt + t.trainAfterModelMs), t.deadlineAt - t.deadlineMs / 2)
}
