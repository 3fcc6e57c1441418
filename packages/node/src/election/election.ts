/**
 * Coordinator election as a libp2p service: drives the pure state machine of @fedmesh/election over the gossipsub
 * topic `fedmesh/election/1`. The electorate is the heartbeat service's membership view (alive members; hidden tabs
 * vote but are not elected), ticks come from the node's ticker (a worker in a tab, so hidden tabs keep time), votes
 * are signed with the node's libp2p key so certificates can be re-checked by anyone, and the node resigns when it
 * stops (tab closing) so the others elect at once instead of waiting out the lease.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { peerIdFromString } from '@libp2p/peer-id'
import { Election, StallClock } from '@fedmesh/election'
import {
  MessageValidator, TOPICS, encodeElection, electionVoteSigningBytes, systemClock,
  type Clock, type ElectionBody, type SignedVoteBody, type WireMessage, type RejectReason
} from '@fedmesh/protocol'
import { TypedEventEmitter } from 'main-event'
import { TrafficCounters } from '../metrics/node-metrics.ts'
import type { ElectionConfig, ElectionEvent, ElectionMessage, Output, Recognition, Role, StepDownReason, VoteMessage } from '@fedmesh/election'
import type { Heartbeat } from '../heartbeat/heartbeat.ts'
import type { Ticker } from '../timers/ticker.ts'
import type { Message } from '@libp2p/gossipsub'
import type { FloodPublishing } from '../libp2p/flood-publish.ts'
import type { PreparedMessage, PreparedPublishing } from '../libp2p/prepared-publish.ts'
import type { ComponentLogger, Logger, PeerId, PrivateKey, PublicKey, Startable } from '@libp2p/interface'

/** Election timings and fault tolerance (see docs/election.md); everything else is wired by the service. */
export type ElectionTimings = Partial<Pick<ElectionConfig, 'leadIntervalMs' | 'leaseMs' | 'electionTimeoutMs' | 'claimRetryMs' |
'memberTtlMs' | 'warmupMs' | 'certificateEveryMs' | 'certificateBurst' | 'faultTolerance' | 'persistedTerm' | 'pledge'>> & {
  /**
   * A stall of this node's own thread (no tick for longer) counts towards a follower's lease for at most this long
   * (StallClock, ElectionConfig.leaseClock): Leads that waited behind the stall are handled before the lease is judged
   * lapsed. Election timeouts keep real time. Default STALL_TOLERANCE_MS (500 ms); Infinity counts every stall in full.
   */
  stallToleranceMs?: number
}

export interface ElectionInit {
  ticker: Ticker
  /** The heartbeat service: its membership view is the electorate. */
  heartbeat: () => Heartbeat
  /** How often the state machine ticks (lease renewal, claim retries, timeouts); default 100 ms. */
  tickMs?: number
  timings?: ElectionTimings
  /** Is this tab hidden? A hidden node still votes but is not elected (its timers may be throttled). */
  hidden?: () => boolean
  /** Publish this node's Leads to every direct neighbour on the topic, not only its mesh peers (NodeConfig.leaderFlood); default false. */
  floodLeads?: boolean
  clock?: Clock
  random?: () => number
}

export interface ElectionComponents {
  peerId: PeerId
  privateKey: PrivateKey
  logger: ComponentLogger
  pubsub: FloodPublishing & PreparedPublishing
}

export interface LeaderChange { term: number, leader: string | undefined }

/**
 * What leaveNow() did: the role it left, and whether its resign went out at once (the one signed ahead, written to
 * `recipients` peers), must still be signed (a closing tab may never get to send it), or was not due (not leading).
 */
export interface LeaveOutcome { role: Role, resign: 'prepared' | 'signed-later' | 'none', recipients: number }

export interface ElectionServiceEvents {
  /** The recognised leader changed (undefined while an election runs). */
  'leader-changed': CustomEvent<LeaderChange>
  'stepped-down': CustomEvent<{ term: number, reason: StepDownReason }>
  /** A member voted for two candidates in one term (proof: its two signed votes). */
  equivocation: CustomEvent<{ term: number, voter: string, candidates: [string, string] }>
}

/** Reasons an election message is dropped beyond the wire validator's. */
export type ElectionRejectReason = RejectReason | 'bad-vote-signature' | 'unverifiable-vote'

export interface ElectionServiceStatus {
  role: Role
  /** Highest term this node voted, claimed or recognised a leader in. */
  term: number
  leader?: string
  leaderTerm?: number
  /** Term being elected while there is no leader. */
  electing?: number
  electorate: number
  alive: number
  /**
   * ms (wall clock) when the current leader was recognised: first recognised in its term, since a lease that lapsed
   * and regained the same leader in the same term keeps it.
   */
  leaderSince?: number
  /** How often the recognised leader changed. */
  leaderChanges: number
  /** Once a leader is known, while not leading: whom this node promised the next term to, and the ballots it holds there by candidate (Election status). */
  succession?: { term: number, promisedTo?: string, ballots: Record<string, number> }
  /**
   * Leases that lapsed here: the recognised leader went unheard for the lease without a resign. Of those, `regained`:
   * the same leader was recognised again in the same term (its Leads were late, not gone), and `afterStall`: the lapse
   * was found on a tick that came more than STALL_MS after the one before (this tab's own thread had stalled, and
   * Leads may have been waiting behind it).
   */
  lapses: { count: number, regained: number, afterStall: number }
  /** The longest gap between two ticks (this tab's thread stalled, or its ticker did), ms. */
  tickGapMaxMs: number
  /** Time the lease clock left out of this node's stalls (timings.stallToleranceMs), ms. */
  stalledMs: number
  /** While leading: the longest gap between two Leads this node sent in one term, ms (a leader that stalled). */
  leadGapMaxMs: number
  /**
   * How the current leader was recognised: 'won' (this node), 'votes' seen, 'pledges' held when the leader before
   * resigned, its 'lead' (certificate), or a 'fence' proof.
   */
  recognisedBy?: Recognition
  /** The last resign this node accepted: whose, for which term, and when it reached the state machine (wall ms). */
  lastResign?: { from: string, term: number, at: number }
  /** Peers this node refuses to follow or vote for, and why. */
  excluded: Array<{ peerId: string, reason: string, at: number }>
  counters: { messagesIn: number, messagesOut: number, bytesIn: number, bytesOut: number, publishErrors: number, signaturesChecked: number, sent: Record<string, number>, received: Record<string, number> }
  rejected: Record<string, number>
  /**
   * By message type, the last DELAY_SAMPLES accepted messages' delay: handed to the state machine (after gossip and the
   * signature checks) minus the sender's sentAtMs. Only meaningful where the clocks agree (tabs on one machine): how
   * long an election's exchanges take under load. A resign's includes how long before it was sent it was signed
   * (leaveNow() sends one kept ready), so it is no delivery time.
   */
  delaysMs: Record<string, { n: number, p50: number, max: number }>
}

/** A tick this much later than the one before finds the tab stalled (status().lapses.afterStall). */
const STALL_MS = 1_000

/**
 * The default timings.stallToleranceMs. A follower last heard its leader up to a Lead interval (300 ms) before a stall;
 * counting the stall as 500 ms leaves 700 ms of the lease (1.5 s) after it for the Leads that waited to be handled.
 */
const STALL_TOLERANCE_MS = 500

/** Delays kept per election message type (status().delaysMs). */
const DELAY_SAMPLES = 64

/** After publishing a resign on the way down, let it leave before the links close. */
const RESIGN_LINGER_MS = 150

/**
 * How often a leader re-signs the resign it keeps ready for leaveNow(). Receivers accept it while it is fresh (the
 * wire validator's 60 s) and its sequence number is inside their replay window (64 messages; Leads go out every
 * 300 ms, so about 17 in this time).
 */
const PREPARED_RESIGN_REFRESH_MS = 5_000


async function sleep (ms: number): Promise<void> { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Verified signatures kept (each a vote seen in a claim round or certificate); older ones are re-checked if they return. */
const VERIFIED_CACHE = 20_000

export class ElectionService extends TypedEventEmitter<ElectionServiceEvents> implements Startable {
  readonly validator: MessageValidator
  readonly traffic = new TrafficCounters()
  readonly counters = { publishErrors: 0, signaturesChecked: 0, sent: {} as Record<string, number>, received: {} as Record<string, number> }
  private readonly extraRejections: Record<string, number> = {}
  private readonly log: Logger
  private readonly clock: Clock
  private readonly self: string
  private election: Election
  private readonly accepted = new WeakMap<Message, WireMessage>()
  /** Keys of votes whose signature checked out (insertion-ordered: oldest evicted first). */
  private readonly verified = new Set<string>()
  private readonly keys = new Map<string, PublicKey | null>()
  private readonly excludedPeers = new Map<string, { reason: string, at: number }>()
  private stops: Array<() => void> = []
  private seq = 0
  private sending: Promise<void> = Promise.resolve()
  private membershipDirty = true
  /** Whether this tab was hidden when the electorate was last computed. */
  private selfHidden = false
  private leaderSince: number | undefined
  private lastResign: { from: string, term: number, at: number } | undefined
  private readonly delays = new Map<string, number[]>()
  private leaderChanges = 0
  /** The leader recognised now, and the one whose lease lapsed last (until it is regained or another is recognised). */
  private recognised: { leader: string, term: number } | undefined
  private lapsed: { leader: string, term: number, since: number | undefined } | undefined
  private readonly lapses = { count: 0, regained: 0, afterStall: 0 }
  /** The clock leases are judged by: the service's, less this node's own stalls beyond timings.stallToleranceMs. */
  private readonly leaseClock: StallClock
  /** The gap before the tick running now (undefined outside tick()). */
  private tickGap: number | undefined
  private tickGapMaxMs = 0
  private lastLeadSent: { term: number, at: number } | undefined
  private leadGapMaxMs = 0
  /** The last leader recognised (kept through elections): its late Leads are not a new leader's unproven ones. */
  private lastLeader: string | undefined
  private running = false
  /** A resign for the term this node leads, signed ahead of time so a closing tab can send it without awaiting. */
  private prepared?: { term: number, at: number, message: PreparedMessage }
  private preparing = false
  /** leaveNow() sent or queued a resign: beforeStop lets it leave before the links close. */
  private resigning = false

  constructor (private readonly components: ElectionComponents, private readonly init: ElectionInit) {
    super()
    this.log = components.logger.forComponent('fedmesh:election')
    this.clock = init.clock ?? systemClock
    this.leaseClock = new StallClock(this.clock, init.timings?.stallToleranceMs ?? STALL_TOLERANCE_MS)
    this.self = components.peerId.toString()
    this.validator = new MessageValidator({ clock: this.clock })
    this.election = this.newElection()
    this.onMessage = this.onMessage.bind(this)
    this.onMembershipChange = this.onMembershipChange.bind(this)
  }

  readonly [Symbol.toStringTag] = '@fedmesh/election'

  private newElection (): Election {
    const { stallToleranceMs: _, ...timings } = this.init.timings ?? {}
    return new Election({
      ...timings,
      self: this.self,
      clock: this.clock,
      leaseClock: this.leaseClock,
      random: this.init.random ?? Math.random,
      // Votes inside certificates were signature-checked when their message passed the topic validator; our own
      // votes we made ourselves.
      verifyVote: (vote) => vote.from === this.self || (vote.signature != null && this.verified.has(voteKey(vote, vote.signature)))
    })
  }

  start (): void {}

  afterStart (): void {
    const pubsub = this.components.pubsub
    pubsub.topicValidators.set(TOPICS.election, async (_from, msg) => this.validate(msg))
    pubsub.addEventListener('message', this.onMessage)
    pubsub.subscribe(TOPICS.election)
    this.init.heartbeat().addEventListener('membership:change', this.onMembershipChange)
    // a tab shown again becomes electable (and a hidden one stops being): without this it stayed as it was until some
    // member came or went, and a session whose only visible node was an excluded leader elected nobody else
    this.init.heartbeat().addEventListener('membership:hidden', this.onMembershipChange)
    this.running = true
    this.stops.push(this.init.ticker.every(this.init.tickMs ?? 100, () => { this.tick() }))
  }

  /**
   * The node is going away now: resign at once, so followers elect instead of waiting out the lease. A closing tab
   * (pagehide) is not promised any task after this one, and an ordinary resign needs several (the WebCrypto signature
   * resolves in a later one). So the resign that goes out here was signed ahead of time (tick() keeps one ready while
   * leading) and is written synchronously. Without a ready one it is signed and published as usual.
   */
  leaveNow (): LeaveOutcome {
    if (!this.running) return { role: this.election.role, resign: 'none', recipients: 0 }
    const role = this.election.role
    const out = this.election.resign()
    const resign = out.send.find(m => m.type === 'resign')
    if (resign == null) {
      this.apply(out)
      return { role, resign: 'none', recipients: 0 }
    }
    this.resigning = true
    const prepared = this.prepared
    const pubsub = this.components.pubsub
    let outcome: LeaveOutcome = { role, resign: 'signed-later', recipients: 0 }
    if (prepared != null && prepared.term === resign.term && pubsub.publishPrepared != null) {
      try {
        const result = pubsub.publishPrepared(prepared.message)
        this.counters.sent.resign = (this.counters.sent.resign ?? 0) + 1
        this.traffic.messagesOut += result.recipients.length
        out.send = out.send.filter(m => m !== resign)
        outcome = { role, resign: 'prepared', recipients: result.recipients.length }
      } catch (err: any) {
        this.counters.publishErrors++
        this.log('prepared resign failed: %s', err?.message ?? err)
      }
    }
    this.prepared = undefined
    this.apply(out)
    return outcome
  }

  /** Stopping: resign (see leaveNow) and let the resign leave before the links close. */
  async beforeStop (): Promise<void> {
    if (!this.running) return
    this.leaveNow()
    if (!this.resigning) return
    // publish() resolves once the message is queued on the streams; closing the links right away could drop it
    await Promise.race([this.sending, sleep(500)])
    await sleep(RESIGN_LINGER_MS)
  }

  stop (): void {
    this.running = false
    this.resigning = false
    this.prepared = undefined
    for (const s of this.stops) s()
    this.stops = []
    this.components.pubsub.removeEventListener('message', this.onMessage)
    this.init.heartbeat().removeEventListener('membership:change', this.onMembershipChange)
    this.init.heartbeat().removeEventListener('membership:hidden', this.onMembershipChange)
    this.components.pubsub.topicValidators.delete(TOPICS.election)
    // a restarted service starts a fresh state machine (and so warms up again), still excluding whom it excluded
    this.election = this.newElection()
    for (const peer of this.excludedPeers.keys()) this.election.distrust(peer)
  }

  /** The leader this node recognises (itself when leading), or undefined during an election. */
  leader (): string | undefined { return this.election.leader }
  leaderTerm (): number | undefined { return this.election.leaderTerm }
  /** Who takes over if the leader goes (the member this node pledged the next term to); undefined without a leader. */
  successor (): string | undefined { return this.election.successor }
  /** The leader and its successor, when known: the members every node links to directly with NodeConfig.leaderLinks. */
  hubs (): string[] {
    const leader = this.election.leader
    const successor = this.election.successor
    return [leader, successor !== leader ? successor : undefined].filter((p): p is string => p !== undefined)
  }
  role (): Role { return this.election.role }
  get term (): number { return this.election.term }

  /**
   * Fencing check for coordinator traffic: is (term, from) the highest leadership this node knows? Round messages
   * tagged with an older or unknown leadership must be dropped.
   */
  accepts (term: number, from: string): boolean { return this.election.accepts(term, from) }

  /**
   * `peer` is the leader of `term` this node last recognised, and neither resigned, nor was replaced, nor is excluded
   * here; true also while its lease has lapsed on this node (its Leads are late), unlike leader().
   */
  stillLeads (term: number, peer: string): boolean { return this.election.accepts(term, peer) && !this.excludedPeers.has(peer) }

  /**
   * Stop following and voting for `peer` (e.g. it coordinated a global model that failed verification). If it
   * leads, this node elects a higher term without it; once a quorum excludes it, the new leader's term fences it.
   */
  exclude (peerId: string, reason: string): void {
    this.excludedPeers.set(peerId, { reason, at: this.clock.wallNow() })
    this.apply(this.election.distrust(peerId))
  }

  /** Undo exclude(). */
  include (peerId: string): void {
    if (!this.excludedPeers.delete(peerId)) return
    this.apply(this.election.trust(peerId))
  }

  excluded (): string[] { return [...this.excludedPeers.keys()] }

  status (): ElectionServiceStatus {
    const s = this.election.status()
    return {
      role: s.role,
      term: s.term,
      ...(s.leader !== undefined ? { leader: s.leader } : {}),
      ...(s.leaderTerm !== undefined ? { leaderTerm: s.leaderTerm } : {}),
      ...(s.electing !== undefined ? { electing: s.electing } : {}),
      electorate: s.electorate,
      alive: s.alive,
      ...(s.leader !== undefined && this.leaderSince !== undefined ? { leaderSince: this.leaderSince } : {}),
      leaderChanges: this.leaderChanges,
      lapses: { ...this.lapses },
      tickGapMaxMs: this.tickGapMaxMs,
      stalledMs: this.leaseClock.stalledMs,
      leadGapMaxMs: this.leadGapMaxMs,
      ...(s.recognisedBy !== undefined ? { recognisedBy: s.recognisedBy } : {}),
      ...(s.succession !== undefined ? { succession: { ...s.succession, ballots: { ...s.succession.ballots } } } : {}),
      ...(this.lastResign !== undefined ? { lastResign: { ...this.lastResign } } : {}),
      excluded: [...this.excludedPeers].map(([peerId, e]) => ({ peerId, ...e })),
      counters: {
        messagesIn: this.traffic.messagesIn,
        messagesOut: this.traffic.messagesOut,
        bytesIn: this.traffic.bytesIn,
        bytesOut: this.traffic.bytesOut,
        publishErrors: this.counters.publishErrors,
        signaturesChecked: this.counters.signaturesChecked,
        sent: { ...this.counters.sent },
        received: { ...this.counters.received }
      },
      rejected: this.rejected(),
      delaysMs: Object.fromEntries([...this.delays].map(([kind, list]) => {
        const sorted = [...list].sort((a, b) => a - b)
        return [kind, { n: sorted.length, p50: sorted[sorted.length >> 1] ?? 0, max: sorted.at(-1) ?? 0 }]
      }))
    }
  }

  rejected (): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [reason, n] of Object.entries(this.validator.rejected.snapshot())) if (n > 0) out[reason] = n
    for (const [reason, n] of Object.entries(this.extraRejections)) out[reason] = (out[reason] ?? 0) + n
    return out
  }

  // --- inbound ----------------------------------------------------------------------------------------------------

  private async validate (msg: Message): Promise<TopicValidatorResult> {
    this.traffic.messagesIn++
    this.traffic.bytesIn += msg.data.byteLength
    const result = this.validator.validate({
      topic: msg.topic,
      data: msg.data,
      ...(msg.type === 'signed' ? { from: msg.from.toString() } : {}),
      signed: msg.type === 'signed'
    })
    if (!result.ok) return result.reason === 'replayed' || result.reason === 'stale' ? TopicValidatorResult.Ignore : TopicValidatorResult.Reject
    const body = result.message.election
    if (body === undefined) return this.reject('malformed')
    // A vote must carry its author's signature, and so must every vote in a certificate: otherwise a certificate
    // could not be re-checked by nodes that never saw the votes themselves.
    const votes: SignedVoteBody[] = body.kind === 'vote'
      ? [{ from: result.message.sender, term: body.term, candidate: body.candidate, electorate: body.electorate, signature: body.signature, ...pledgeMark(body) }]
      : body.certificate
    // All at once: each check is a WebCrypto call that resolves in a later task, and on a loaded tab every task waits
    // for a core, so a certificate of 9 votes checked one after another held a Lead (and its forwarding) for 9 turns.
    const checks = await Promise.all(votes.map(vote => this.verifySignature(vote)))
    const failed = checks.find(check => check !== 'ok')
    if (failed !== undefined) return this.reject(failed)
    this.accepted.set(msg, result.message)
    return TopicValidatorResult.Accept
  }

  private reject (reason: ElectionRejectReason): TopicValidatorResult {
    this.extraRejections[reason] = (this.extraRejections[reason] ?? 0) + 1
    return TopicValidatorResult.Reject
  }

  private async verifySignature (vote: SignedVoteBody): Promise<'ok' | 'bad-vote-signature' | 'unverifiable-vote'> {
    const key = voteKey(vote, vote.signature)
    if (this.verified.has(key)) return 'ok'
    const publicKey = this.publicKeyOf(vote.from)
    if (publicKey == null) return 'unverifiable-vote'
    this.counters.signaturesChecked++
    let ok = false
    try {
      ok = await publicKey.verify(electionVoteSigningBytes(vote), vote.signature)
    } catch {
      ok = false
    }
    if (!ok) return 'bad-vote-signature'
    this.remember(key)
    return 'ok'
  }

  private remember (key: string): void {
    this.verified.add(key)
    if (this.verified.size > VERIFIED_CACHE) {
      const oldest = this.verified.values().next().value
      if (oldest !== undefined) this.verified.delete(oldest)
    }
  }

  /** Ed25519 and secp256k1 peer ids embed their public key; RSA ids (a hash) cannot sign verifiable votes. */
  private publicKeyOf (peer: string): PublicKey | null {
    let key = this.keys.get(peer)
    if (key === undefined) {
      try {
        key = peerIdFromString(peer).publicKey ?? null
      } catch {
        key = null
      }
      if (this.keys.size > 4096) this.keys.clear()
      this.keys.set(peer, key)
    }
    return key
  }

  private onMessage (evt: CustomEvent<Message>): void {
    const wire = this.accepted.get(evt.detail)
    if (wire?.election == null || !this.running) return
    const msg = toElectionMessage(wire.sender, wire.election)
    const kind = kindOf(msg)
    this.count(kind)
    this.noteDelay(kind, this.clock.wallNow() - wire.sentAtMs)
    // its delay says little (a resign is signed ahead), its arrival does: how soon followers learn the leader left
    if (msg.type === 'resign') this.lastResign = { from: msg.from, term: msg.term, at: this.clock.wallNow() }
    this.apply(this.election.onMessage(msg))
    if (msg.type === 'lead') {
      // Why a tab keeps electing while a new leader's Leads arrive (seen at 20 tabs: six tabs 5 s behind the rest):
      // Leads that carried a certificate, and Leads from a leader above ours that still left it unrecognised.
      if (msg.certificate !== undefined) this.count('lead+certificate')
      const known = this.election.leaderTerm
      if (msg.from !== this.lastLeader && msg.term > (known ?? -1) && !this.election.accepts(msg.term, msg.from)) {
        this.count(msg.certificate !== undefined ? 'lead-unproven+certificate' : 'lead-unproven')
      }
    }
  }

  private noteDelay (kind: string, ms: number): void {
    let list = this.delays.get(kind)
    if (list === undefined) this.delays.set(kind, list = [])
    list.push(ms)
    if (list.length > DELAY_SAMPLES) list.shift()
  }

  private count (kind: string): void {
    this.counters.received[kind] = (this.counters.received[kind] ?? 0) + 1
  }

  private onMembershipChange (): void {
    this.membershipDirty = true
  }

  private tick (): void {
    if (!this.running) return
    const gap = this.leaseClock.tick()
    this.tickGapMaxMs = Math.max(this.tickGapMaxMs, gap)
    this.tickGap = gap
    try {
      this.evaluate()
    } finally {
      this.tickGap = undefined
    }
  }

  private evaluate (): void {
    const hidden = this.init.hidden?.() === true
    if (hidden !== this.selfHidden) {
      this.selfHidden = hidden
      this.membershipDirty = true
    }
    if (this.membershipDirty) {
      this.membershipDirty = false
      const alive: string[] = []
      const ineligible: string[] = []
      for (const m of this.init.heartbeat().membership.list()) {
        if (m.state !== 'alive') continue
        alive.push(m.peerId)
        if (m.hidden) ineligible.push(m.peerId)
      }
      if (hidden) ineligible.push(this.self)
      this.apply(this.election.onMembership(alive, { ineligible }))
    }
    this.apply(this.election.tick())
    this.keepResignReady()
  }

  /** While leading, keep a signed resign for the current term (re-signed before receivers would find it stale). */
  private keepResignReady (): void {
    const pubsub = this.components.pubsub
    const term = this.election.leaderTerm
    if (this.preparing || pubsub.prepareMessage == null || this.election.role !== 'leader' || term === undefined) return
    const now = this.clock.wallNow()
    if (this.prepared?.term === term && now - this.prepared.at < PREPARED_RESIGN_REFRESH_MS) return
    this.preparing = true
    const data = encodeElection({ sender: this.self, seq: ++this.seq, sentAtMs: now, election: toBody({ type: 'resign', term, from: this.self }) })
    pubsub.prepareMessage(TOPICS.election, data)
      .then(message => { if (this.running) this.prepared = { term, at: now, message } })
      .catch((err: any) => { this.log('cannot prepare a resign: %s', err?.message ?? err) })
      .finally(() => { this.preparing = false })
  }

  // --- outbound ---------------------------------------------------------------------------------------------------

  private apply (out: Output): void {
    for (const msg of out.send) {
      // one queue, in order: a vote is signed before any later message (a fence) can carry it in a certificate
      this.sending = this.sending.then(async () => { await this.publish(msg) })
    }
    for (const event of out.events) this.dispatch(event)
  }

  private async publish (msg: ElectionMessage): Promise<void> {
    try {
      if (msg.type === 'vote' && msg.signature == null) {
        // the state machine keeps this very object in its ballots, so the signature travels with later certificates
        msg.signature = await this.components.privateKey.sign(electionVoteSigningBytes(msg))
        this.remember(voteKey(msg, msg.signature))
      }
      const data = encodeElection({ sender: this.self, seq: ++this.seq, sentAtMs: this.clock.wallNow(), election: toBody(msg) })
      const result = await this.components.pubsub.publish(TOPICS.election, data, msg.type === 'lead' && this.init.floodLeads === true ? { floodPublish: true } : undefined)
      const kind = kindOf(msg)
      this.counters.sent[kind] = (this.counters.sent[kind] ?? 0) + 1
      if (msg.type === 'lead') this.noteLeadSent(msg.term)
      this.traffic.messagesOut += result.recipients.length
      this.traffic.bytesOut += data.byteLength * result.recipients.length
    } catch (err: any) {
      this.counters.publishErrors++
      this.log('election %s publish failed: %s', msg.type, err?.message ?? err)
    }
  }

  /**
   * Counts lapsed leases (status().lapses): a followed leader lost without its resign, and whether it came back.
   * Returns the lapse this recognition regains (same leader, same term), with its leaderSince from before.
   */
  private noteLapse (term: number, leader: string | undefined): { since: number | undefined } | undefined {
    const before = this.recognised
    this.recognised = leader === undefined ? undefined : { leader, term }
    if (leader !== undefined) {
      const regained = this.lapsed?.leader === leader && this.lapsed.term === term ? this.lapsed : undefined
      if (regained !== undefined) this.lapses.regained++
      this.lapsed = undefined
      return regained
    }
    if (before === undefined || before.leader === this.self) return undefined
    // a resign, or this node's own exclusion of the leader, is no lapse
    if (this.lastResign?.from === before.leader && this.lastResign.term === before.term) return undefined
    if (this.excludedPeers.has(before.leader)) return undefined
    this.lapses.count++
    if (this.tickGap !== undefined && this.tickGap > STALL_MS) this.lapses.afterStall++
    this.lapsed = { ...before, since: this.leaderSince }
    return undefined
  }

  private noteLeadSent (term: number): void {
    const now = this.clock.now()
    if (this.lastLeadSent?.term === term) this.leadGapMaxMs = Math.max(this.leadGapMaxMs, now - this.lastLeadSent.at)
    this.lastLeadSent = { term, at: now }
  }

  private dispatch (event: ElectionEvent): void {
    try {
      switch (event.type) {
        case 'leader-changed': {
          const regained = this.noteLapse(event.term, event.leader)
          this.leaderChanges++
          // A lapse that regains the same leader in the same term keeps the first recognition: what a takeover is
          // timed by (a busy tab lapses and regains its lease many times a minute)
          this.leaderSince = event.leader === undefined ? undefined : regained?.since ?? this.clock.wallNow()
          if (event.leader !== undefined) this.lastLeader = event.leader
          this.safeDispatchEvent('leader-changed', { detail: { term: event.term, leader: event.leader } })
          break
        }
        case 'stepped-down':
          this.safeDispatchEvent('stepped-down', { detail: { term: event.term, reason: event.reason } })
          break
        case 'equivocation':
          this.safeDispatchEvent('equivocation', { detail: { term: event.term, voter: event.voter, candidates: event.candidates } })
          break
      }
    } catch (err) {
      this.log.error('listener for %s threw - %e', event.type, err)
    }
  }
}

/** A vote's succession-pledge mark, carried over between the wire and the state machine only when set. */
function pledgeMark (v: { pledge?: boolean }): { pledge?: true } {
  return v.pledge === true ? { pledge: true } : {}
}

/** Counters and delays keep succession pledges apart from the votes of an election. */
function kindOf (msg: ElectionMessage): string {
  return msg.type === 'vote' && msg.pledge === true ? 'pledge' : msg.type
}

function voteKey (vote: { from: string, term: number, candidate: string, electorate: number, pledge?: boolean }, signature: Uint8Array): string {
  let hex = ''
  for (let i = 0; i < signature.length; i++) hex += (signature[i] as number).toString(16).padStart(2, '0')
  return `${vote.from}|${vote.term}|${vote.candidate}|${vote.electorate}|${vote.pledge === true ? 'pledge|' : ''}${hex}`
}

function toVote (v: SignedVoteBody): VoteMessage {
  return { type: 'vote', term: v.term, from: v.from, candidate: v.candidate, electorate: v.electorate, signature: v.signature, ...pledgeMark(v) }
}

/** Wire body → the state machine's message; the author is the gossipsub-verified sender. */
export function toElectionMessage (from: string, e: ElectionBody): ElectionMessage {
  switch (e.kind) {
    case 'claim': return { type: 'claim', term: e.term, from, electorate: e.electorate }
    case 'vote': return { type: 'vote', term: e.term, from, candidate: e.candidate, electorate: e.electorate, signature: e.signature, ...pledgeMark(e) }
    case 'lead': return { type: 'lead', term: e.term, from, electorate: e.electorate, ...(e.certificate.length > 0 ? { certificate: e.certificate.map(toVote) } : {}), ...(e.candidate !== '' ? { successor: e.candidate } : {}) }
    case 'resign': return { type: 'resign', term: e.term, from }
    case 'fence': return { type: 'fence', term: e.term, from, leader: e.candidate, electorate: e.electorate, certificate: e.certificate.map(toVote) }
    case 'pre-claim': return { type: 'pre-claim', term: e.term, from, electorate: e.electorate }
    case 'pre-vote': return { type: 'pre-vote', term: e.term, from, candidate: e.candidate, electorate: e.electorate }
  }
}

const NO_SIGNATURE = new Uint8Array(0)

/** The state machine's message → wire body. Certificate votes without a signature (none in practice) are left out. */
export function toBody (msg: ElectionMessage): ElectionBody {
  const signed = (votes: VoteMessage[] | undefined): SignedVoteBody[] => (votes ?? [])
    .filter((v): v is VoteMessage & { signature: Uint8Array } => v.signature != null && v.signature.length > 0)
    .map(v => ({ from: v.from, term: v.term, candidate: v.candidate, electorate: v.electorate, signature: v.signature, ...pledgeMark(v) }))
  const base = { term: msg.term, candidate: '', electorate: 0, signature: NO_SIGNATURE, certificate: [] as SignedVoteBody[] }
  switch (msg.type) {
    case 'claim': return { ...base, kind: 'claim', electorate: msg.electorate }
    case 'vote': return { ...base, kind: 'vote', candidate: msg.candidate, electorate: msg.electorate, signature: msg.signature ?? NO_SIGNATURE, ...pledgeMark(msg) }
    case 'lead': return { ...base, kind: 'lead', candidate: msg.successor ?? '', electorate: msg.electorate, certificate: signed(msg.certificate) }
    case 'resign': return { ...base, kind: 'resign' }
    case 'fence': return { ...base, kind: 'fence', candidate: msg.leader, electorate: msg.electorate, certificate: signed(msg.certificate) }
    case 'pre-claim': return { ...base, kind: 'pre-claim', electorate: msg.electorate }
    case 'pre-vote': return { ...base, kind: 'pre-vote', candidate: msg.candidate, electorate: msg.electorate }
  }
}

export function election (init: ElectionInit): (components: ElectionComponents) => ElectionService {
  return (components) => new ElectionService(components, init)
}
