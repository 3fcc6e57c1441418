import { MAX_TERM, resolve, validTerm } from './config.ts'
import type { Settings } from './config.ts'
import { certify, outranks, preferred, quorum } from './quorum.ts'
import type {
  ClaimMessage, ElectionConfig, ElectionEvent, ElectionMessage, FenceMessage, LeadMessage, Output, PeerId,
  PreClaimMessage, PreVoteMessage, Role, StepDownReason, VoteMessage
} from './types.ts'

/** Ballots are kept for terms up to this far beyond the one being elected (bounds memory against junk terms). */
const BALLOT_WINDOW = 8

/** Election timeouts double per failed term up to this many times (4 × electionTimeoutMs). */
const MAX_TIMEOUT_DOUBLINGS = 2

/** The highest leadership this node has recognised (the fencing token), with its proof. */
interface Fence {
  term: number
  leader: PeerId
  electorate: number
  certificate: VoteMessage[]
  resigned: boolean
}

interface Ballot {
  candidate: PeerId
  /** The voter's latest vote for `candidate` (absent for a claim, the candidate's vote for itself). */
  vote?: VoteMessage
}

interface Candidacy {
  term: number
  /** 'asking': pre-claims out, nothing promised yet; 'claiming': the term is promised to this node. */
  phase: 'asking' | 'claiming'
  electorate: number
  lastSentAt: number
  /** Members that answered a pre-claim for this term with yes. */
  preVotes: Set<PeerId>
}

interface Leading {
  term: number
  electorate: number
  certificate: VoteMessage[]
  leadsSent: number
  lastLeadAt: number
  lastCertificateAt: number
}

/**
 * How a node recognised its leader: it won itself, from the votes it saw, from succession pledges it held when the
 * leader before resigned, from the leader's Lead (certificate), or from a fence proof.
 */
export type Recognition = 'won' | 'votes' | 'pledges' | 'lead' | 'fence'

/** A snapshot of the election state, for status pages and metrics. */
export interface ElectionStatus {
  role: Role
  /** Highest term this node has voted, claimed or recognised a leader in. */
  term: number
  leader: PeerId | undefined
  leaderTerm: number | undefined
  /** Term being elected while there is no leader; undefined otherwise. */
  electing: number | undefined
  electorate: number
  alive: number
  /** How the current leader was recognised; undefined while there is none. */
  recognisedBy: Recognition | undefined
  /**
   * Once a leader is known and while this node is not leading: the term after the leader's, whom this node promised it
   * to (its succession pledge, or a vote there), and how many ballots (pledges, or the plain votes they became) it
   * holds for each candidate there. Diagnostics: where views differ, pledges split, and the resign then elects nobody
   * at once.
   */
  succession?: { term: number, promisedTo?: PeerId, ballots: Record<PeerId, number> }
}

/**
 * Coordinator election over broadcast gossip, as a pure state machine: feed it the membership view, received
 * messages and periodic ticks; broadcast what it returns in `send`. See docs/election.md for the algorithm and its
 * safety and liveness argument.
 */
export class Election {
  private readonly s: Settings
  private readonly startedAt: number

  /** The highest leadership recognised so far. Everything at or below its term is decided. */
  private fence: Fence | undefined
  /** When the followed leader was last heard, by the lease clock. */
  private lastHeardLeaderAt = -Infinity
  /**
   * The fence's leadership has ended (it resigned, or its Leads stopped for `leaseMs`) and this node has restarted
   * its election at fence term + 1 for it. Cleared when that leader is heard leading again or the fence moves.
   */
  private fenceEnded = false
  /**
   * term → whom this node voted for (itself when it claimed), for every term above the fence: the promise that makes
   * quorums exclusive. Kept per term rather than as Raft's single (currentTerm, votedFor) so that a node that ran
   * ahead while cut off can still vote in the lower terms where the others are.
   */
  private readonly votes = new Map<number, PeerId>()
  /** term → electorate of this node's latest claim in it: late votes can still make it the winner of that term. */
  private readonly claims = new Map<number, number>()
  private candidacy: Candidacy | undefined
  private leading: Leading | undefined
  /** The term this node is trying to elect a leader for; 0 while it recognises one. */
  private target = 0
  private targetDeadline = 0
  /** Terms this election moved past without a leader (reset when `target` restarts from 0): lengthens the timeout. */
  private failedTerms = 0

  private alive = new Set<PeerId>()
  /** When the alive view last changed (pledges wait for a settled view). */
  private viewChangedAt = -Infinity
  private ineligible = new Set<PeerId>()
  /**
   * When each member that left the alive view was last in it (for a current member: a lower bound, since it is in it
   * now). The electorate is the alive view plus the members that left it less than `memberTtlMs` ago.
   */
  private readonly lastAlive = new Map<PeerId, number>()
  private readonly distrusted = new Set<PeerId>()

  /** Never voted, claimed or followed: its first election starts at the term it has heard others use. */
  private fresh = true
  private freshHorizon = 0
  /** While fresh: term → the nodes seen using it. A term counts once two nodes used it, so one liar cannot set it. */
  private readonly sightings = new Map<number, Set<PeerId>>()

  /**
   * term → voter → ballot, from every vote and claim seen: catches double votes, and lets a node recognise a
   * winner (itself included) from the votes it saw, without waiting for a Lead that carries the certificate.
   */
  private readonly ballots = new Map<number, Map<PeerId, Ballot>>()
  private readonly equivocators = new Map<number, Set<PeerId>>()
  /** peer → when this node last sent it proof of a newer leadership (rate limit). */
  private readonly fenceSentAt = new Map<PeerId, number>()

  /**
   * The successor nominated for the term after `term` by the leader of `term`: this node's own nomination while it
   * leads, else the one the fence's leader sent in its Leads (see nominee()).
   */
  private nomination: { term: number, peer: PeerId } | undefined
  /** The succession pledge this node cast while following the fence's leader, and when (see pledge()). */
  private pledged: VoteMessage | undefined
  /** The pledged member was eligible in this node's view when it pledged (not only nominated by the leader). */
  private pledgedSeen = false
  private pledgedAt = -Infinity
  /** The term whose pledged successor this node sent its pre-vote unasked, on its lease lapsing (offerPreVote). */
  private preVoteOffered = 0
  /** Pre-votes for this node that came before it asked (offered on a lapse): voter → term and when. */
  private readonly offeredPreVotes = new Map<PeerId, { term: number, at: number }>()
  /** How this node came to recognise its current leader (status: how a failover was decided). */
  private recognisedBy: Recognition | undefined

  private reportedLeader: PeerId | undefined
  private reportedTerm = 0

  constructor (config: ElectionConfig) {
    this.s = resolve(config)
    this.startedAt = this.s.clock.now()
    this.alive.add(this.s.self)
    this.lastAlive.set(this.s.self, this.startedAt)
  }

  /** Highest term this node has voted, claimed or recognised a leader in (persist it: `persistedTerm`). */
  get term (): number {
    let term = Math.max(this.fence?.term ?? 0, this.s.persistedTerm)
    for (const t of this.votes.keys()) if (t > term) term = t
    return term
  }

  /** The leader this node currently recognises (itself when leading), or undefined during an election. */
  get leader (): PeerId | undefined {
    return this.currentLeader(this.s.clock.now())
  }

  /** The term of `leader`, or undefined when there is none. */
  get leaderTerm (): number | undefined {
    if (this.leading !== undefined) return this.leading.term
    return this.leaseValid(this.s.clock.now()) ? this.fence?.term : undefined
  }

  /**
   * Whom the term after the current leader's goes to if the leader goes (what pledge() pledges to). Undefined while
   * there is no leader, or after it resigned.
   */
  get successor (): PeerId | undefined {
    const fence = this.fence
    if (fence === undefined || fence.resigned || fence.term + 1 > MAX_TERM || this.currentLeader(this.s.clock.now()) === undefined) return undefined
    return this.successorOf(fence)
  }

  /**
   * The member the term after `fence` goes to: the one this node promised it to, else the leader's nominee where this
   * node accepts it, else the one it prefers among the others.
   */
  private successorOf (fence: Fence): PeerId | undefined {
    const term = fence.term + 1
    return this.votes.get(term) ?? this.nominee(fence) ?? preferred(term, this.candidatesBut(fence.leader))
  }

  /**
   * The successor the fence's leader nominated, if this node follows the nomination: not the leader, trusted and
   * eligible here, vouched for (vouchedFor), and outranked in the next term by at most one other candidate in this
   * node's view, that one not this node itself (which keeps its own chance). Why follow the
   * leader at all: pledges cast on views that differ by one member (seen by some, hidden or distrusted at others)
   * split between that member and the next, and then neither holds a quorum (packages/election/bench/split-pledges.ts:
   * the resign failover took a median 6.6 s instead of 1.2 s). One leader's choice makes them agree. Why the bound:
   * a nominee this node does not see but that ranks ahead of its own first choice is what a leader that sees more
   * would name; one that ranks second is what a leader that does not see the first would name. Beyond that the leader
   * would be choosing, and a Byzantine leader could hand the term to an accomplice; within it, it picks at most
   * between this node's first two.
   */
  private nominee (fence: Fence): PeerId | undefined {
    const n = this.nomination
    if (n === undefined || n.term !== fence.term) return undefined
    if (fence.leader === this.s.self) return n.peer
    // a leader this node stopped trusting does not choose for it
    if (this.distrusted.has(fence.leader)) return undefined
    const peer = n.peer
    const term = fence.term + 1
    if (peer === fence.leader || this.distrusted.has(peer) || this.ineligible.has(peer) || !this.vouchedFor(term, peer)) return undefined
    let ahead = 0
    for (const other of this.candidatesBut(fence.leader)) {
      if (other === peer || !outranks(term, other, term, peer)) continue
      // this node ranks ahead of the nominee: it keeps its own chance rather than pledge the term away
      if (other === this.s.self || ++ahead > 1) return undefined
    }
    return peer
  }

  /**
   * Is `peer` a member as far as this node can tell: in its electorate, or pledged `term` by at least f + 1 others
   * (one of them honest, who saw it)? A nominee nobody here can vouch for may be a name a Byzantine leader made up to
   * rank first, and pledges to it would elect nobody.
   */
  private vouchedFor (term: number, peer: PeerId): boolean {
    this.knownSize(this.s.clock.now())
    if (this.lastAlive.has(peer)) return true
    let pledges = 0
    for (const [voter, { candidate, vote }] of this.ballots.get(term) ?? []) {
      if (candidate === peer && vote?.pledge === true && this.lastAlive.has(voter) && ++pledges > this.s.faultTolerance) return true
    }
    return false
  }

  /**
   * While leading: the member this leader nominates for the next term (sent in its Leads). Where members already
   * promised that term (pledges, or votes from an earlier attempt at it), the one most of them promised it to, since
   * promises cannot be taken back; otherwise the member the term prefers. Never one that promised the term to someone
   * else itself (it could not claim it).
   */
  private nominate (term: number): PeerId | undefined {
    const next = term + 1
    const candidates = new Set(this.candidatesBut(this.s.self))
    const ballots = this.ballots.get(next)
    const promisedElsewhere = (peer: PeerId): boolean => {
      const own = ballots?.get(peer)
      return own !== undefined && own.candidate !== peer
    }
    const counts = new Map<PeerId, number>()
    for (const [voter, { candidate }] of ballots ?? []) {
      // others' promises only: a member's claim of the term is no reason to nominate it
      if (voter !== candidate && candidates.has(candidate) && !promisedElsewhere(candidate)) counts.set(candidate, (counts.get(candidate) ?? 0) + 1)
    }
    // the most promised (ties: the term's preference among them), else the term's preference among those free to claim
    const most = Math.max(0, ...counts.values())
    const pool = most > 0 ? [...counts].filter(([, n]) => n === most).map(([p]) => p) : [...candidates].filter(p => !promisedElsewhere(p))
    const peer = preferred(next, pool)
    this.nomination = peer === undefined ? undefined : { term, peer }
    return peer
  }

  get role (): Role {
    if (this.leading !== undefined) return 'leader'
    return this.candidacy !== undefined ? 'candidate' : 'follower'
  }

  /** Size of the electorate (members alive within `memberTtlMs`, self included) that quorums are counted against. */
  get electorate (): number {
    return this.knownSize(this.s.clock.now())
  }

  status (): ElectionStatus {
    const now = this.s.clock.now()
    const leader = this.currentLeader(now)
    return {
      role: this.role,
      term: this.term,
      leader,
      leaderTerm: leader === undefined ? undefined : (this.leading?.term ?? this.fence?.term),
      electing: this.target === 0 ? undefined : this.target,
      electorate: this.knownSize(now),
      alive: this.alive.size,
      recognisedBy: leader === undefined ? undefined : this.recognisedBy,
      ...(this.fence !== undefined && this.leading === undefined ? { succession: this.succession(this.fence.term + 1) } : {})
    }
  }

  private succession (term: number): NonNullable<ElectionStatus['succession']> {
    const ballots: Record<PeerId, number> = {}
    for (const { candidate } of this.ballots.get(term)?.values() ?? []) ballots[candidate] = (ballots[candidate] ?? 0) + 1
    const promisedTo = this.votes.get(term)
    return { term, ...(promisedTo !== undefined ? { promisedTo } : {}), ballots }
  }

  /**
   * Fencing check for round messages: is (term, from) the highest leadership this node knows of? Stays true while
   * the leader's lease is merely late; false for any older leader once a newer one is known, and after it resigned.
   */
  accepts (term: number, from: PeerId): boolean {
    const fence = this.fence
    return fence !== undefined && !fence.resigned && fence.term === term && fence.leader === from
  }

  /**
   * The failure detector's current view. `alive` need not include this node. `ineligible` peers vote but are not
   * elected (e.g. hidden tabs, whose timers the browser throttles below the lease renewal rate).
   */
  onMembership (alive: Iterable<PeerId>, options: { ineligible?: Iterable<PeerId> } = {}): Output {
    const now = this.s.clock.now()
    // Every member of the outgoing view was in it until now, however long ago the view last changed (the failure
    // detector reports changes, not a periodic view): one that leaves now counts for memberTtlMs from now.
    for (const peer of this.alive) this.lastAlive.set(peer, now)
    const before = this.alive
    this.alive = new Set(alive)
    this.alive.add(this.s.self)
    if (before.size !== this.alive.size || [...before].some(p => !this.alive.has(p))) this.viewChangedAt = now
    for (const peer of this.alive) this.lastAlive.set(peer, now)
    this.ineligible = new Set(options.ineligible ?? [])
    return this.run(out => { this.evaluate(now, out) })
  }

  /** Call every 50–250 ms: renews the lease, retries claims, times out elections. */
  tick (): Output {
    const now = this.s.clock.now()
    return this.run(out => { this.evaluate(now, out) })
  }

  onMessage (msg: ElectionMessage): Output {
    const now = this.s.clock.now()
    return this.run(out => {
      if (typeof msg !== 'object' || msg === null || !validTerm(msg.term)) return
      if (typeof msg.from !== 'string' || msg.from === '' || msg.from === this.s.self) return
      if (this.fresh) this.sight(msg.type === 'lead' || msg.type === 'fence' ? msg.term + 1 : msg.term, msg.from)
      switch (msg.type) {
        case 'pre-claim': this.onPreClaim(msg, now, out); break
        case 'pre-vote': this.onPreVote(msg, now, out); break
        case 'vote': this.onVote(msg, now, out); break
        case 'claim': this.onClaim(msg, now, out); break
        case 'lead': this.onLead(msg, now, out); break
        case 'fence': this.onFence(msg, now, out); break
        case 'resign': this.onResign(msg.term, msg.from, now, out); break
        default: break
      }
    })
  }

  /** Stop leading (the tab is closing or going to the background); followers elect at once. */
  resign (): Output {
    const now = this.s.clock.now()
    return this.run(out => { this.stepDown('resigned', now, out) })
  }

  /**
   * Stop voting for `peer` and, if it leads, stop recognising it (e.g. the MAPE-K loop found its global models bad).
   * When a quorum distrusts the leader, they elect another one, whose higher term fences it.
   */
  distrust (peer: PeerId): Output {
    const now = this.s.clock.now()
    this.distrusted.add(peer)
    return this.run(out => {
      if (peer === this.s.self) this.stepDown('resigned', now, out)
      this.evaluate(now, out)
    })
  }

  trust (peer: PeerId): Output {
    this.distrusted.delete(peer)
    return this.tick()
  }

  // --- bookkeeping ---------------------------------------------------------------------------------------------

  private run (fn: (out: Output) => void): Output {
    const out: Output = { send: [], events: [] }
    fn(out)
    this.report(out.events)
    return out
  }

  private report (events: ElectionEvent[]): void {
    const leader = this.currentLeader(this.s.clock.now())
    const term = this.leading?.term ?? this.fence?.term ?? 0
    if (leader !== this.reportedLeader || (leader !== undefined && term !== this.reportedTerm)) {
      events.push({ type: 'leader-changed', term, leader })
      this.reportedLeader = leader
      this.reportedTerm = term
    }
  }

  /**
   * A fresh node (just joined, no leader known yet) learns which term the others are electing in, so its first
   * election joins theirs instead of starting at 1. A term with a leader is over (count the next one); a term
   * being voted in can be joined.
   */
  private sight (term: number, from: PeerId): void {
    if (term <= this.freshHorizon) return
    let seen = this.sightings.get(term)
    if (seen === undefined) {
      if (this.sightings.size >= 32) {
        const lowest = Math.min(...this.sightings.keys())
        if (term < lowest) return
        this.sightings.delete(lowest)
      }
      seen = new Set()
      this.sightings.set(term, seen)
    }
    seen.add(from)
    if (seen.size >= Math.max(2, this.s.faultTolerance + 1)) {
      this.freshHorizon = term
      for (const t of this.sightings.keys()) if (t <= term) this.sightings.delete(t)
    }
  }

  private get fenceTerm (): number {
    return this.fence?.term ?? 0
  }

  private warmingUp (now: number): boolean {
    return now - this.startedAt < this.s.warmupMs
  }

  private knownSize (now: number): number {
    for (const [peer, at] of this.lastAlive) {
      // `>=`: with memberTtlMs = 0 the electorate is exactly the alive view, also at the instant a member leaves it.
      if (now - at >= this.s.memberTtlMs && !this.alive.has(peer)) this.lastAlive.delete(peer)
    }
    return this.lastAlive.size
  }

  private hasQuorumAlive (now: number): boolean {
    return this.alive.size >= quorum(this.knownSize(now), this.s.faultTolerance)
  }

  /**
   * A follower's lease: its leader was heard within `leaseMs`. Deliberately not tied to the failure detector: Leads
   * come every `leadIntervalMs`, far more often than heartbeats, so the lease notices a dead leader sooner, and a
   * falsely suspected leader does not flap.
   */
  private leaseValid (now: number): boolean {
    const fence = this.fence
    if (fence === undefined || fence.resigned || fence.leader === this.s.self) return false
    return !this.distrusted.has(fence.leader) && this.sinceLeaderHeard(now) < this.s.leaseMs
  }

  /**
   * How long the followed leader has gone unheard, by the lease clock (ElectionConfig.leaseClock). `now` is the
   * election clock's reading at the caller, the lease clock's too unless a separate one was configured.
   */
  private sinceLeaderHeard (now: number): number {
    return (this.s.leaseClock === this.s.clock ? now : this.s.leaseClock.now()) - this.lastHeardLeaderAt
  }

  private currentLeader (now: number): PeerId | undefined {
    if (this.leading !== undefined) return this.s.self
    return this.leaseValid(now) ? this.fence?.leader : undefined
  }

  /**
   * Who may be elected in `term`: alive, eligible, trusted, and, in the first term after the fence, not the leader
   * whose lease just lapsed (the failure detector may not have noticed yet). Only in that term: if the attempt fails
   * the old leader may be the one everybody else can still reach.
   */
  private eligible (term: number, now: number): PeerId[] {
    const fence = this.fence
    const lapsed = fence !== undefined && term === fence.term + 1 && this.leading === undefined && !this.leaseValid(now) ? fence.leader : undefined
    return this.candidatesBut(lapsed)
  }

  /**
   * Whom this node would elect in `term`: in the term after the fence, the successor its leader nominated where this
   * node follows the nomination (nominee()); otherwise the member `term` prefers among the eligible.
   */
  private favoured (term: number, now: number): PeerId | undefined {
    const fence = this.fence
    if (fence !== undefined && term === fence.term + 1 && fence.leader !== this.s.self) {
      const nominee = this.nominee(fence)
      if (nominee !== undefined) return nominee
    }
    return preferred(term, this.eligible(term, now))
  }

  /** The alive, eligible, trusted members other than `excluded`. */
  private candidatesBut (excluded: PeerId | undefined): PeerId[] {
    const out: PeerId[] = []
    for (const peer of this.alive) {
      if (peer !== excluded && !this.ineligible.has(peer) && !this.distrusted.has(peer)) out.push(peer)
    }
    return out
  }

  /**
   * Random in electionTimeoutMs, doubled for each term this election already moved past (at most
   * 2^MAX_TIMEOUT_DOUBLINGS times). When a claim and its votes take longer than a timeout (20 tabs on 2 cores: each
   * message most of a second), fixed timeouts walk the terms on and every attempt fails the same way (simulated,
   * 20 nodes, deliveries delayed 0.3-1.5 s: 6 resigns in 100 with no leader after 30 s); the next term now has time.
   */
  private timeout (): number {
    const [min, max] = this.s.electionTimeoutMs
    return 2 ** Math.min(this.failedTerms, MAX_TIMEOUT_DOUBLINGS) * (min + (max - min) * this.s.random())
  }

  private outranksFence (term: number, leader: PeerId): boolean {
    const fence = this.fence
    return fence === undefined || outranks(term, leader, fence.term, fence.leader)
  }

  // --- the periodic decision -----------------------------------------------------------------------------------

  private evaluate (now: number, out: Output): void {
    if (this.leading !== undefined) {
      this.lead(now, out)
      return
    }
    if (this.leaseValid(now)) {
      this.target = 0
      this.candidacy = undefined
      this.pledge(now, out)
      return
    }
    // When the fenced leadership ends, a node that had stopped following it (distrust) and ran ahead restarts at
    // fence term + 1 too, or the terms that prefer it are wasted for everyone else. Once per end (an edge, not a
    // level), so that timeouts can still move on from there.
    const fence = this.fence
    if (fence !== undefined && fence.leader !== this.s.self && !this.fenceEnded && (fence.resigned || this.sinceLeaderHeard(now) >= this.s.leaseMs)) {
      this.fenceEnded = true
      this.target = 0
      this.candidacy = undefined
    }
    if (this.warmingUp(now)) return

    if (this.target === 0) {
      // Everyone who recognised the same leader starts from the same term, so they agree on whom it prefers.
      // A term pledged to a member that is gone can elect nobody here: skip it (so does everyone who pledged the same).
      this.target = Math.max(this.fenceTerm + 1 + (this.pledgeLost(now) ? 1 : 0), this.fresh ? this.freshHorizon : 0)
      this.failedTerms = 0
      this.targetDeadline = now + (this.pledgedLapse(this.target) ? 2 : 1) * this.timeout()
    } else if (now >= this.targetDeadline) {
      // This attempt produced no leader (preferred candidate dead, or votes split across diverging views, or the
      // votes slower than the timeout): the next term prefers a different candidate, and gets longer.
      this.target++
      this.failedTerms++
      this.targetDeadline = now + this.timeout()
    }

    this.offerPreVote(now, out)
    if (this.candidacy !== undefined && this.candidacy.term !== this.target) this.candidacy = undefined
    if (this.candidacy !== undefined) {
      this.campaign(now, out)
    } else if (this.mayClaim(this.target, now)) {
      if (this.s.preVote && !this.resignedBelow(this.target)) this.ask(this.target, now, out)
      else this.claim(this.target, now, out)
    }
  }

  /**
   * The leader of the term below `term` resigned (its own signed word, flooded to everyone): every member loses it at
   * once, so asking first would only cost an exchange. Pre-votes guard against a claim only its maker wanted; here
   * members that have not yet seen the resign just refuse (their lease holds) and vote on the next re-sent claim.
   */
  private resignedBelow (term: number): boolean {
    const fence = this.fence
    return fence !== undefined && fence.resigned && fence.leader !== this.s.self && term === fence.term + 1
  }

  /** `term` follows a fence that ended without a resign (its lease lapsed): the case offered pre-votes are for. */
  private lapsedBelow (term: number): boolean {
    const fence = this.fence
    return fence !== undefined && !fence.resigned && term === fence.term + 1
  }

  private mayClaim (term: number, now: number): boolean {
    if (term > MAX_TERM || term <= this.s.persistedTerm) return false
    const promised = this.votes.get(term)
    if (promised !== undefined && promised !== this.s.self) return false
    // Without a quorum in view the claim cannot win; not claiming keeps a cut-off node's terms from running away.
    return this.hasQuorumAlive(now) && this.favoured(term, now) === this.s.self
  }

  /** Ask whether a quorum would vote for this node in `term`; nothing is promised until they say so. */
  private ask (term: number, now: number, out: Output): void {
    const preVotes = new Set<PeerId>()
    // yeses offered before this node asked count if they are recent: each says that voter lost the leader too
    for (const [voter, offer] of this.offeredPreVotes) {
      if (offer.term === term && now - offer.at < this.s.leaseMs && this.lastAlive.has(voter)) preVotes.add(voter)
    }
    this.offeredPreVotes.clear()
    this.candidacy = { term, phase: 'asking', electorate: 0, lastSentAt: -Infinity, preVotes }
    this.campaign(now, out)
  }

  /**
   * The lease lapsed without a resign, and this node had pledged the term it now elects: it knows whom it would
   * vote for, so it sends that successor its pre-vote at once, instead of on the pre-claim. The successor, asking
   * when its own lease lapses, then has its yeses one delivery sooner: lapse -> claim -> votes, not lapse ->
   * pre-claim -> pre-votes -> claim -> votes (in 20 busy tabs each delivery is most of a second). Nothing else
   * changes: a pre-vote promises nothing and is given only where a pre-claim would get it (wouldVote: this node's
   * lease has lapsed), and the votes still follow the claim, so a quorum must have lost the leader twice, one
   * exchange apart, before a live but late leader is replaced. Once per term.
   */
  private offerPreVote (now: number, out: Output): void {
    const term = this.target
    const pledged = this.pledged
    if (!this.s.preVote || pledged === undefined || pledged.term !== term || this.preVoteOffered === term) return
    if (!this.lapsedBelow(term) || this.votes.get(term) !== pledged.candidate) return
    const electorate = this.knownSize(now)
    if (this.wouldVote(term, pledged.candidate, electorate, now) === undefined) return
    this.preVoteOffered = term
    out.send.push({ type: 'pre-vote', term, from: this.s.self, candidate: pledged.candidate, electorate })
  }

  private claim (term: number, now: number, out: Output): void {
    this.votes.set(term, this.s.self)
    this.leaveFresh()
    this.candidacy = { term, phase: 'claiming', electorate: 0, lastSentAt: -Infinity, preVotes: new Set() }
    this.recordBallot(term, this.s.self, this.s.self, out)
    this.campaign(now, out)
  }

  /**
   * (Re-)broadcast the pre-claim or claim when due or when the electorate changed; claim once enough said yes; see
   * whether the claim has won.
   */
  private campaign (now: number, out: Output): void {
    const c = this.candidacy
    if (c === undefined) return
    const electorate = this.claimSize(c.term, now)
    if (electorate !== c.electorate) {
      // Votes name the electorate they were cast for; voters re-vote for the new size when the claim reaches them.
      c.electorate = electorate
      c.lastSentAt = -Infinity
      if (c.phase === 'claiming') this.claims.set(c.term, electorate)
    }
    if (c.phase === 'asking') {
      // Still the one to claim (the view may have changed, or this node voted in the term meanwhile)?
      if (!this.mayClaim(c.term, now)) {
        this.candidacy = undefined
        return
      }
      // As many yeses as a certificate needs votes: with its own, a quorum, and at least f + 1 others.
      if (c.preVotes.size >= Math.max(this.s.faultTolerance + 1, quorum(electorate, this.s.faultTolerance) - 1)) {
        // The election proper starts now: it gets a whole timeout, as a claim made at the start of the term does.
        this.targetDeadline = now + this.timeout()
        this.claim(c.term, now, out)
        return
      }
      if (now - c.lastSentAt >= this.s.claimRetryMs) {
        c.lastSentAt = now
        out.send.push({ type: 'pre-claim', term: c.term, from: this.s.self, electorate })
      }
      return
    }
    if (this.checkWin(c.term, now, out)) return
    if (now - c.lastSentAt >= this.s.claimRetryMs) {
      c.lastSentAt = now
      out.send.push({ type: 'claim', term: c.term, from: this.s.self, electorate: c.electorate })
    }
  }

  /**
   * The electorate to claim `term` for: this node's count, or a larger one (by at most 2, so one voter's number cannot
   * make the quorum unreachable) that votes or pledges for this node there named. Voters answer only a claim counted
   * out of at least as many members as they know, so a candidate that no longer counts a member the others still
   * count (memberTtlMs) collected votes at two sizes and a quorum at neither (split-pledges bench: 17 pledges, no
   * leader for 6.5 s).
   */
  private claimSize (term: number, now: number): number {
    const own = this.knownSize(now)
    return this.electoratesVotedFor(term, own).find(n => n > own && n <= own + 2) ?? own
  }

  /** Have enough votes for this node's claim in `term` arrived (possibly after it moved on)? Then lead. */
  private checkWin (term: number, now: number, out: Output): boolean {
    const electorate = this.claims.get(term)
    if (electorate === undefined || !this.outranksFence(term, this.s.self)) return false
    // Even a node that is alone needs co-signers: a leadership nobody else can verify would only fence this node
    // off from the real one later (a lone tab has nobody to coordinate anyway).
    // Pledges win only after the signed resign: a lapsed lease or distrust is one node's view, and its claim asks
    // first and collects plain votes as before.
    // After the resign the members recognise this node from the pledges they hold, for the electorate the pledges
    // name (followPledges). Where this node's own count differs (views differ by a member or two in 20 busy tabs), the
    // same certificate proves the same win here: it leads on it instead of waiting for re-votes at its own count
    // (most likely what held a 20-tab successor back 3-4 s while the members' lease on it lapsed: docs/benchmarks.md,
    // twenty-sixth session). Safe for the reason any certificate is: its honest co-signers each named at least their
    // own count.
    const pledges = this.resignedBelow(term)
    const sizes = pledges ? [electorate, ...this.electoratesVotedFor(term, electorate)] : [electorate]
    for (const n of sizes) {
      const certificate = this.certificate(term, this.s.self, n, [], pledges)
      if (certificate === undefined) continue
      this.claims.set(term, n)
      this.leadWith(term, n, certificate, now, out)
      return true
    }
    return false
  }

  /** The electorate sizes named by the votes and pledges for this node in `term`, other than `except`, largest first. */
  private electoratesVotedFor (term: number, except: number): number[] {
    const sizes = new Set<number>()
    for (const { candidate, vote } of this.ballots.get(term)?.values() ?? []) {
      if (candidate === this.s.self && vote !== undefined && vote.electorate !== except) sizes.add(vote.electorate)
    }
    return [...sizes].sort((a, b) => b - a)
  }

  /**
   * Plain votes for this node in a term it never claimed: the others lost their leader and voted for the successor
   * they had pledged to, while this node missed the resign (its lease has not lapsed yet). A quorum of them is a win
   * like any other, provided this node promised the term to nobody else.
   */
  private wonUnasked (vote: VoteMessage, now: number, out: Output): void {
    const { term, electorate } = vote
    const promised = this.votes.get(term)
    if (vote.pledge === true || this.claims.has(term) || (promised !== undefined && promised !== this.s.self)) return
    if (term <= this.s.persistedTerm || term > MAX_TERM || !this.outranksFence(term, this.s.self)) return
    const certificate = this.certificate(term, this.s.self, electorate, [], false)
    if (certificate === undefined) return
    this.votes.set(term, this.s.self)
    this.claims.set(term, electorate)
    this.leadWith(term, electorate, certificate, now, out)
  }

  private leadWith (term: number, electorate: number, certificate: VoteMessage[], now: number, out: Output): void {
    this.recognisedBy = 'won'
    this.candidacy = undefined
    this.target = 0
    this.leading = { term, electorate, certificate, leadsSent: 0, lastLeadAt: -Infinity, lastCertificateAt: -Infinity }
    this.setFence({ term, leader: this.s.self, electorate, certificate, resigned: false })
    this.lead(now, out)
  }

  /**
   * `extra` votes plus those this node saw itself, if together they prove `candidate` won `term`. Succession pledges
   * count only where `pledges` says (pledgesCount, resignedBelow).
   */
  private certificate (term: number, candidate: PeerId, electorate: number, extra: readonly VoteMessage[], pledges: boolean): VoteMessage[] | undefined {
    const votes: VoteMessage[] = pledges ? [...extra] : extra.filter(v => v.pledge !== true)
    const ballots = this.ballots.get(term)
    if (ballots !== undefined) {
      for (const ballot of ballots.values()) {
        if (ballot.candidate === candidate && ballot.vote !== undefined && (pledges || ballot.vote.pledge !== true)) votes.push(ballot.vote)
      }
    }
    // the candidate's own ballot there: a vote for another member is not a vote for itself
    const ownBallot = ballots?.get(candidate)
    return certify({
      term,
      candidate,
      electorate,
      votes,
      faultTolerance: this.s.faultTolerance,
      verifyVote: this.s.verifyVote,
      equivocators: this.equivocators.get(term),
      candidateVotedElsewhere: ownBallot !== undefined && ownBallot.candidate !== candidate
    })
  }

  private lead (now: number, out: Output): void {
    const l = this.leading
    if (l === undefined) return
    // Check-quorum: a leader cut off from a quorum of the electorate stops, so a minority partition goes quiet
    // instead of running rounds nobody else will accept.
    if (!this.hasQuorumAlive(now)) {
      this.stepDown('lost-quorum', now, out)
      return
    }
    if (now - l.lastLeadAt < this.s.leadIntervalMs) return
    l.lastLeadAt = now
    if (l.certificate.some(v => v.pledge === true)) {
      // Won on pledges: once plain votes for a quorum are in (each pledger re-votes on the resign), prove it with
      // those, which every node counts (one that still follows the older leader, or never knew it, counts no pledges).
      const plain = this.certificate(l.term, this.s.self, l.electorate, [], false)
      if (plain !== undefined) {
        l.certificate = plain
        l.leadsSent = 0
        if (this.fence?.term === l.term && this.fence.leader === this.s.self) this.fence.certificate = plain
      }
    }
    const successor = this.nominate(l.term)
    const msg: LeadMessage = { type: 'lead', term: l.term, from: this.s.self, electorate: l.electorate, ...(successor !== undefined ? { successor } : {}) }
    if (l.leadsSent < this.s.certificateBurst || now - l.lastCertificateAt >= this.s.certificateEveryMs) {
      msg.certificate = l.certificate
      l.lastCertificateAt = now
    }
    l.leadsSent++
    out.send.push(msg)
  }

  private stepDown (reason: StepDownReason, now: number, out: Output): void {
    const l = this.leading
    if (l === undefined) return
    this.leading = undefined
    out.events.push({ type: 'stepped-down', term: l.term, reason })
    if (reason === 'resigned') {
      if (this.fence !== undefined && this.fence.leader === this.s.self) this.fence.resigned = true
      out.send.push({ type: 'resign', term: l.term, from: this.s.self })
    }
    this.target = 0
    if (reason !== 'superseded') this.evaluate(now, out)
  }

  /** Recognise a proven leadership that outranks the current one. `heard`: it is the leader itself speaking. */
  private adopt (fence: Fence, heard: boolean, by: Recognition, now: number, out: Output): void {
    if (this.leading !== undefined) this.stepDown('superseded', now, out)
    this.recognisedBy = by
    this.candidacy = undefined
    this.target = 0
    this.setFence(fence)
    // A successor recognised from pledges has not spoken yet: its first Lead needs the resign to reach it and the Lead
    // to come back, two deliveries (each most of a second in 20 busy tabs), so its lease starts a lease later. Without
    // that, 20-tab runs lost the new leader again before its first Lead and recognised it a second time.
    this.lastHeardLeaderAt = !heard ? -Infinity : by === 'pledges' ? this.s.leaseClock.now() + this.s.leaseMs : this.s.leaseClock.now()
    this.leaveFresh()
  }

  private leaveFresh (): void {
    this.fresh = false
    this.sightings.clear()
  }

  private setFence (fence: Fence): void {
    this.fence = fence
    this.fenceEnded = false
    this.offeredPreVotes.clear()
    if (this.nomination !== undefined && this.nomination.term !== fence.term) this.nomination = undefined
    // Terms below the fence are decided: their promises and claims no longer matter. The fence's own term keeps its
    // promise, since its winner may still ask for this node's vote.
    for (const term of this.votes.keys()) if (term < fence.term) this.votes.delete(term)
    for (const term of this.claims.keys()) if (term <= fence.term) this.claims.delete(term)
    for (const term of this.ballots.keys()) {
      if (term < fence.term) {
        this.ballots.delete(term)
        this.equivocators.delete(term)
      }
    }
  }

  /**
   * Tell a node that is behind (it leads or claims at or below our fence) about the newer leadership. Every node sees
   * the stale message, so each answers only with probability ~3/n and at most once per lease per peer: a stale
   * (or Byzantine) sender cannot make the whole mesh broadcast certificates.
   */
  private sendFence (to: PeerId, now: number, out: Output, toLeader = false): void {
    const fence = this.fence
    if (fence === undefined || (fence.leader === to && !toLeader)) return
    if (this.s.random() * this.alive.size >= 3) return
    const last = this.fenceSentAt.get(to)
    if (last !== undefined && now - last < this.s.leaseMs) return
    if (this.fenceSentAt.size > 4 * this.alive.size + 16) this.fenceSentAt.clear()
    this.fenceSentAt.set(to, now)
    out.send.push({ type: 'fence', term: fence.term, from: this.s.self, leader: fence.leader, electorate: fence.electorate, certificate: fence.certificate })
  }

  // --- messages --------------------------------------------------------------------------------------------------

  private onVote (vote: VoteMessage, now: number, out: Output): void {
    if (typeof vote.candidate !== 'string' || !Number.isInteger(vote.electorate)) return
    this.recordBallot(vote.term, vote.from, vote.candidate, out, vote)
    if (vote.candidate === this.s.self) {
      if (!this.checkWin(vote.term, now, out)) this.wonUnasked(vote, now, out)
      return
    }
    // Everyone sees the votes: once a quorum for a candidate that outranks the current leadership is in, follow it
    // without waiting for its Lead (which may be lost).
    if (!this.outranksFence(vote.term, vote.candidate)) return
    const pledges = this.resignedBelow(vote.term)
    const certificate = this.certificate(vote.term, vote.candidate, vote.electorate, [], pledges)
    if (certificate !== undefined) {
      this.adopt({ term: vote.term, leader: vote.candidate, electorate: vote.electorate, certificate, resigned: false }, true, pledges && certificate.some(v => v.pledge === true) ? 'pledges' : 'votes', now, out)
    }
  }

  private onClaim (claim: ClaimMessage, now: number, out: Output): void {
    const { term, from: candidate } = claim
    this.recordBallot(term, candidate, candidate, out)
    if (this.warmingUp(now) || !Number.isInteger(claim.electorate)) return
    const promised = this.votes.get(term)
    // This node already recognises the claimant as the winner (from the votes it saw) but the claimant is still
    // asking, so some votes never reached it: vote (again) so it learns it won.
    const fence = this.fence
    if (fence !== undefined && fence.term === term && fence.leader === candidate) {
      if (!fence.resigned && term > this.s.persistedTerm && (promised === undefined || promised === candidate)) this.castVote(term, candidate, claim.electorate, out)
      return
    }
    if (this.joinIfVoting(term, candidate, claim.electorate, now, out)) this.castVote(term, candidate, claim.electorate, out)
  }

  /**
   * Shared by claims and pre-claims: a term already decided gets the proof (the claimant has missed a leader);
   * otherwise, if this node would vote for `candidate` in `term` (wouldVote), it joins that election and says so.
   */
  private joinIfVoting (term: number, candidate: PeerId, electorate: number, now: number, out: Output): boolean {
    if (term <= this.fenceTerm) {
      const fence = this.fence
      // the leader of our fence asking for its own term does not know it won (pledges, a resign it missed): tell it
      if (fence !== undefined && term === fence.term && candidate === fence.leader) this.sendFence(candidate, now, out, true)
      else this.sendFence(candidate, now, out)
      return false
    }
    const reach = this.wouldVote(term, candidate, electorate, now)
    if (reach === undefined) return false
    this.join(term, reach, now)
    return true
  }

  /**
   * Voting rules 3-7 (docs/election.md, "Voting") for a claim of `term` by `candidate` counted out of `electorate`:
   * the reach (the highest term this node votes in now) if this node votes for it, else undefined.
   */
  private wouldVote (term: number, candidate: PeerId, electorate: number, now: number): number | undefined {
    const promised = this.votes.get(term)
    if ((promised !== undefined && promised !== candidate) || term <= this.s.persistedTerm) return undefined
    // Leader stickiness: while the leader's lease holds, nobody replaces it (a flaky or Byzantine node cannot
    // depose a healthy leader).
    if (this.leading !== undefined || this.leaseValid(now)) return undefined
    if (this.distrusted.has(candidate)) return undefined
    // The candidate must count its quorum out of at least as many members as this node knows; otherwise a
    // candidate with a stale or understated electorate could win with few votes.
    if (electorate < this.knownSize(now)) return undefined
    // No term grinding: a vote goes at most one term beyond the term this node is electing, so nobody can skip
    // ahead to a term whose preference order happens to favour them.
    // Asking again (votes get lost, electorates change) gets the same answer even if this view changed since.
    const reach = Math.max(this.target, this.fenceTerm + 1) + 1
    if (promised !== candidate) {
      if (term > reach) return undefined
      if (this.favoured(term, now) !== candidate) return undefined
    }
    return reach
  }

  /**
   * Move to the election of `term` that this node votes (or would vote) in, also from more than one term ahead (it
   * ran ahead, e.g. while distrusting a leader the others kept), or it would not claim the term after if preferred
   * there. Lowering the target only narrows what it votes for and claims. One term ahead it already is where that
   * election goes next; staying keeps a late claim of the previous term from pulling voters and candidates out of the
   * current one. Not beyond `reach` (a repeated vote from before a restart): that would undo the restart.
   */
  private join (term: number, reach: number, now: number): void {
    if (term <= reach && (term >= this.target || term < this.target - 1)) {
      if (this.candidacy !== undefined && this.candidacy.term !== term) this.candidacy = undefined
      this.target = term
      this.targetDeadline = now + this.timeout()
    }
  }

  /**
   * Answer yes if this node would vote for the claim were it made now (the same checks as onClaim). A yes promises
   * nothing, but it does join that election (as a vote does): nodes whose timeouts walked them to different terms
   * would otherwise never gather in one. No means silence.
   */
  private onPreClaim (ask: PreClaimMessage, now: number, out: Output): void {
    const { term, from: candidate } = ask
    if (this.warmingUp(now) || !Number.isInteger(ask.electorate)) return
    if (this.joinIfVoting(term, candidate, ask.electorate, now, out)) out.send.push({ type: 'pre-vote', term, from: this.s.self, candidate, electorate: ask.electorate })
  }

  private onPreVote (answer: PreVoteMessage, now: number, out: Output): void {
    // Only members count (a yes from a stranger proves nothing about this electorate).
    if (answer.candidate !== this.s.self || !this.lastAlive.has(answer.from)) return
    const c = this.candidacy
    if (c === undefined || c.phase !== 'asking' || answer.term !== c.term) {
      // offered before this node asks (offerPreVote): kept for its next term only, one per voter
      if (c === undefined && this.leading === undefined && answer.term === this.fenceTerm + 1) this.offeredPreVotes.set(answer.from, { term: answer.term, at: now })
      return
    }
    c.preVotes.add(answer.from)
    this.campaign(now, out)
  }

  private castVote (term: number, candidate: PeerId, electorate: number, out: Output, pledge = false): VoteMessage {
    this.votes.set(term, candidate)
    this.leaveFresh()
    // a plain vote for the term pledged supersedes the pledge (nothing left to re-cast on a resign)
    if (!pledge && this.pledged?.term === term) this.pledged = undefined
    const vote: VoteMessage = { type: 'vote', term, from: this.s.self, candidate, electorate, ...(pledge ? { pledge } : {}) }
    this.recordBallot(term, this.s.self, candidate, out, vote)
    out.send.push(vote)
    return vote
  }

  private onLead (msg: LeadMessage, now: number, out: Output): void {
    const { term, from: leader } = msg
    const fence = this.fence
    if (fence !== undefined && fence.term === term && fence.leader === leader) {
      if (fence.resigned) return
      this.noteNomination(msg)
      this.lastHeardLeaderAt = this.s.leaseClock.now()
      this.fenceEnded = false
      // The leader is back (its Leads were only late): stop electing. Not if this node distrusts it.
      if (this.leaseValid(now)) {
        this.candidacy = undefined
        this.target = 0
      }
      return
    }
    // Fencing: a leadership that does not outrank the one this node knows is stale. Its leader may not know.
    if (!this.outranksFence(term, leader)) {
      this.sendFence(leader, now, out)
      return
    }
    if (!Number.isInteger(msg.electorate)) return
    const certificate = this.certificate(term, leader, msg.electorate, Array.isArray(msg.certificate) ? msg.certificate : [], this.pledgesCount(term, now))
    if (certificate === undefined) return
    this.adopt({ term, leader, electorate: msg.electorate, certificate, resigned: false }, true, 'lead', now, out)
    this.noteNomination(msg)
  }

  private noteNomination (msg: LeadMessage): void {
    if (typeof msg.successor === 'string' && msg.successor !== '') this.nomination = { term: msg.term, peer: msg.successor }
  }

  private onFence (msg: FenceMessage, now: number, out: Output): void {
    if (typeof msg.leader !== 'string' || !Number.isInteger(msg.electorate) || !Array.isArray(msg.certificate)) return
    if (msg.leader === this.s.self && this.leading?.term === msg.term) return
    if (!this.outranksFence(msg.term, msg.leader)) return
    const certificate = this.certificate(msg.term, msg.leader, msg.electorate, msg.certificate, this.pledgesCount(msg.term, now))
    if (certificate === undefined) return
    if (msg.leader === this.s.self) {
      // Others recognised this node (from pledges, on a resign it never got): it did win that term, so lead it.
      if (msg.term > this.s.persistedTerm) this.leadWith(msg.term, msg.electorate, certificate, now, out)
      return
    }
    // Recognised but not heard from: if that leader is alive its Leads renew the lease, otherwise elect above it.
    this.adopt({ term: msg.term, leader: msg.leader, electorate: msg.electorate, certificate, resigned: false }, false, 'fence', now, out)
    this.evaluate(now, out)
  }

  private onResign (term: number, from: PeerId, now: number, out: Output): void {
    if (this.fence === undefined || this.fence.term !== term || this.fence.leader !== from) return
    this.fence.resigned = true
    this.evaluate(now, out)
    this.voteForSuccessor(now, out)
    this.followPledges(now, out)
  }

  /**
   * The leader resigned and this node may already hold a quorum of pledges for one successor: recognise it now, with
   * no message exchanged after the resign (the successor itself wins the same way, on its resignedBelow claim).
   */
  private followPledges (now: number, out: Output): void {
    const term = this.fenceTerm + 1
    const ballots = this.ballots.get(term)
    if (ballots === undefined || !this.resignedBelow(term)) return
    const tried = new Set<string>()
    for (const { candidate, vote } of ballots.values()) {
      if (vote === undefined || candidate === this.s.self || tried.has(`${candidate}|${vote.electorate}`)) continue
      tried.add(`${candidate}|${vote.electorate}`)
      if (!this.outranksFence(term, candidate)) continue
      const certificate = this.certificate(term, candidate, vote.electorate, [], true)
      if (certificate !== undefined) this.adopt({ term, leader: candidate, electorate: vote.electorate, certificate, resigned: false }, true, 'pledges', now, out)
    }
  }

  /**
   * Succession pledges (docs/election.md): while it follows a live leader, a node promises the next term to the
   * member that term prefers among the others (as eligible() will once the leader is gone), and broadcasts that vote
   * marked as a pledge. When the leader resigns, every node that holds a quorum of pledges for one successor
   * recognises it at once, and the successor wins on its claim: the failover costs the resign's flood and nothing
   * more. A pledge is a vote (the promise is kept for the term like any other), so safety is unchanged; it counts
   * only where the leader it was cast under is gone (pledgesCount), so it cannot depose a healthy leader. Re-cast
   * when the electorate changes, at most once per lease (each is signed and checked).
   */
  private pledge (now: number, out: Output): void {
    const fence = this.fence
    if (!this.s.pledge || fence === undefined || this.warmingUp(now) || now - this.viewChangedAt < this.s.pledgeAfterStableMs) return
    const term = fence.term + 1
    if (term > MAX_TERM || term <= this.s.persistedTerm) return
    // Only once the leader's nomination is in (its Leads carry it), so that the pledges follow one view; a leader
    // that sends none gets none (its succession then takes an ordinary election).
    const nomination = this.nomination
    if (nomination?.term !== fence.term) return
    // a nominee not (yet) vouched for: wait for the pledges of those who see it, rather than split from them
    if (!this.votes.has(term) && !this.vouchedFor(term, nomination.peer) && !this.distrusted.has(nomination.peer)) return
    const candidate = this.successorOf(fence)
    if (candidate === undefined || candidate === this.s.self || this.distrusted.has(candidate)) return
    const electorate = this.knownSize(now)
    const last = this.pledged
    if (last !== undefined && last.term === term && last.candidate === candidate && (last.electorate === electorate || now - this.pledgedAt < this.s.leaseMs)) return
    this.pledgedAt = now
    this.pledgedSeen = this.candidatesBut(fence.leader).includes(candidate)
    this.pledged = this.castVote(term, candidate, electorate, out, true)
  }

  /**
   * The lease lapsed (no resign) and this node is the successor pledged `term` under it. Its election needs two
   * exchanges after the lapse (pre-votes, then claim and votes), where after a resign it needs none, so it keeps at it
   * twice as long, as a second attempt does: with deliveries of 0.3-1.5 s the two exchanges outlast 1-1.5 s and the
   * election walked on to the next term (simulated: packages/election/bench/slow-links.ts --crash, docs/election.md).
   * Only the successor: the others move on after the usual timeout and still answer its (pre-)claim there (one term
   * below their target), and a successor that never claims (a Byzantine one) costs them no more than before.
   */
  private pledgedLapse (term: number): boolean {
    if (!this.lapsedBelow(term)) return false
    for (const ballot of this.ballots.get(term)?.values() ?? []) if (ballot.candidate === this.s.self && ballot.vote?.pledge === true) return true
    return false
  }

  /**
   * This node pledged fence term + 1 to a member no longer eligible (gone from the view, hidden, distrusted). Not
   * for a nominee this node never saw (it took the leader's word that it is there), unless it now distrusts it.
   */
  private pledgeLost (now: number): boolean {
    const p = this.pledged
    const term = this.fenceTerm + 1
    if (p === undefined || p.term !== term || this.votes.get(term) !== p.candidate) return false
    return this.pledgedSeen ? !this.eligible(term, now).includes(p.candidate) : this.distrusted.has(p.candidate)
  }

  /**
   * Do pledges for `term` count here? Only where this node knew the leadership they were cast under (term - 1) and it
   * is over (resigned or lapsed), never while it still follows or holds it. A node that never knew it (just joined, or
   * further behind) cannot tell, and waits for plain votes: the winner's certificate swaps its pledges for them.
   */
  private pledgesCount (term: number, now: number): boolean {
    const fence = this.fence
    return fence !== undefined && fence.term === term - 1 && this.leading === undefined && !this.leaseValid(now)
  }

  /**
   * After the fence's leader resigned, every member elects fence term + 1 and (views agreeing) prefers the same
   * member there, which claims without asking (resignedBelow). Voting for it now, instead of on its claim, takes a
   * message delay off the failover: resign -> votes -> recognised rather than resign -> claim -> votes -> recognised
   * (each delay is most of a second when the tabs' main threads wait for a core). The same rules as a vote on a claim
   * (wouldVote), for the electorate this node counts; a candidate whose claim names another electorate gets a re-vote
   * with it when the claim arrives, as before.
   */
  private voteForSuccessor (now: number, out: Output): void {
    const term = this.fenceTerm + 1
    const promised = this.votes.get(term)
    // A pledge is re-cast as a plain vote, for members that never got it (joined since, or lost it).
    const pledged = promised !== undefined && this.pledged?.term === term && this.pledged.candidate === promised
    if (this.warmingUp(now) || this.target !== term || (promised !== undefined && !pledged)) return
    const candidate = promised ?? this.favoured(term, now)
    if (candidate === undefined || candidate === this.s.self) return
    const electorate = this.knownSize(now)
    if (this.wouldVote(term, candidate, electorate, now) !== undefined) this.castVote(term, candidate, electorate, out)
  }

  private recordBallot (term: number, voter: PeerId, candidate: PeerId, out: Output, vote?: VoteMessage): void {
    if (term < this.fenceTerm || term > Math.max(this.target, this.fenceTerm + 1) + BALLOT_WINDOW) return
    let byVoter = this.ballots.get(term)
    if (byVoter === undefined) {
      byVoter = new Map()
      this.ballots.set(term, byVoter)
    }
    const ballot = byVoter.get(voter)
    if (ballot === undefined) {
      byVoter.set(voter, vote === undefined ? { candidate } : { candidate, vote })
      return
    }
    if (ballot.candidate === candidate) {
      // a late copy of a pledge does not replace the plain vote it became
      const downgrade = vote?.pledge === true && ballot.vote !== undefined && ballot.vote.pledge !== true && ballot.vote.electorate === vote.electorate
      if (vote !== undefined && !downgrade) ballot.vote = vote
      return
    }
    let bad = this.equivocators.get(term)
    if (bad === undefined) {
      bad = new Set()
      this.equivocators.set(term, bad)
    }
    if (bad.has(voter)) return
    bad.add(voter)
    out.events.push({ type: 'equivocation', term, voter, candidates: [ballot.candidate, candidate] })
  }
}
