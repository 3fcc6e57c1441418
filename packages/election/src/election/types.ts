/** Peer ids are the libp2p peer id strings the membership view uses. */
export type PeerId = string

/**
 * "I ask to lead `term`." Also counts as the candidate's own vote for itself in `term`.
 * `electorate` is the size of the membership the candidate counts its quorum against.
 */
export interface ClaimMessage {
  type: 'claim'
  term: number
  from: PeerId
  electorate: number
}

/**
 * "Would you vote for me in `term`, were I to claim it now?" Sent before a claim (pre-vote, as in Raft's PreVote) and
 * binding nobody: a node claims, and so promises the term to itself, only once enough members answered yes for a
 * quorum. A node whose leader's Leads merely came late would otherwise claim terms that the others, still following
 * the leader, never vote in; the promises that leaves (its own, and those of voters as late as it) are kept while
 * the term is above the fence, and block those terms in the next real election one timeout each.
 */
export interface PreClaimMessage {
  type: 'pre-claim'
  term: number
  from: PeerId
  electorate: number
}

/** "I would vote for `candidate` in `term`": the answer to a pre-claim; promises nothing. */
export interface PreVoteMessage {
  type: 'pre-vote'
  term: number
  from: PeerId
  candidate: PeerId
  electorate: number
}

/**
 * "In `term` I vote for `candidate`, whose quorum is counted out of `electorate` members."
 * Votes are broadcast, so every node can spot a voter that votes twice in one term. A leader re-publishes the
 * votes it won inside its Lead messages (the certificate), so they must be verifiable on their own: the transport
 * adapter attaches the author's signature in `signature` and checks it in `ElectionConfig.verifyVote`.
 */
export interface VoteMessage {
  type: 'vote'
  term: number
  from: PeerId
  candidate: PeerId
  electorate: number
  /**
   * A succession pledge: cast for the term after the fence while its leader still leads, for the member that term
   * prefers. Binding like any vote (one candidate per term), but counted only by a node for which that leader is gone
   * (docs/election.md, "Succession pledges"). Signed with the rest of the vote, so nobody can strip it.
   */
  pledge?: boolean
  signature?: Uint8Array
}

/**
 * "I am the leader of `term`": the lease renewal, sent every `leadIntervalMs`. Carries the certificate (the votes
 * of others that elected the sender) for the first `certificateBurst` leads of a term and then every
 * `certificateEveryMs`, so followers that missed the election can check the sender really won.
 */
export interface LeadMessage {
  type: 'lead'
  term: number
  from: PeerId
  electorate: number
  certificate?: VoteMessage[]
  /**
   * The member the leader nominates for the next term (the one most members already promised it to, else the one it
   * prefers there): followers pledge that term to it, rather than each to the member its own view prefers, where at
   * most one member they see ranks ahead of it. See docs/election.md, "Succession pledges".
   */
  successor?: PeerId
}

/** "I stop leading `term`" (tab closing, tab hidden): followers elect at once instead of waiting out the lease. */
export interface ResignMessage {
  type: 'resign'
  term: number
  from: PeerId
}

/**
 * "A leader of `term` was elected; here is the proof": sent by any node (`from`) to a node that is behind, e.g. a
 * leader of an older term that cannot otherwise learn it was superseded because the newer leader has since died.
 * The certificate's votes are signed by their voters, so a relaying node cannot forge it.
 */
export interface FenceMessage {
  type: 'fence'
  term: number
  from: PeerId
  leader: PeerId
  electorate: number
  certificate: VoteMessage[]
}

export type ElectionMessage = PreClaimMessage | PreVoteMessage | ClaimMessage | VoteMessage | LeadMessage | ResignMessage | FenceMessage

export type Role = 'follower' | 'candidate' | 'leader'

export type StepDownReason =
  /** A leader with a higher (term, rank) exists. */
  | 'superseded'
  /** Fewer than a quorum of the known members are alive in this node's view (it is in a minority partition). */
  | 'lost-quorum'
  /** resign() was called. */
  | 'resigned'

export type ElectionEvent =
  /**
   * The leader this node recognises (with a live lease) changed; `leader` is undefined while there is none.
   * `term` is the leader's term (or, when there is none, the term of the last one).
   */
  | { type: 'leader-changed', term: number, leader: PeerId | undefined }
  /** This node stopped being the leader of `term`. */
  | { type: 'stepped-down', term: number, reason: StepDownReason }
  /** `voter` voted for two different candidates in `term` (provable from the two signed votes). */
  | { type: 'equivocation', term: number, voter: PeerId, candidates: [PeerId, PeerId] }

/** What an input produced: messages to broadcast (gossip) and events for the application. */
export interface Output {
  send: ElectionMessage[]
  events: ElectionEvent[]
}

export interface Clock {
  now(): number
}

export interface ElectionConfig {
  /** This node's peer id. */
  self: PeerId
  clock: Clock
  /**
   * The clock a follower's lease is judged by; default `clock`. A node whose own thread can stall leaves those stalls
   * out (StallClock), so Leads that waited behind a stall are handled before the lease counts as lapsed, while
   * election timeouts, retries and the warm-up keep `clock`'s time.
   */
  leaseClock?: Clock
  /** Uniform in [0, 1); jitters the election timeout. */
  random: () => number
  /** Leader sends a Lead (lease renewal) this often; default 300 ms. */
  leadIntervalMs?: number
  /** A follower that has not heard its leader for this long starts an election; default 1_500 ms. */
  leaseMs?: number
  /** An election attempt that produced no leader moves on to the next term after a random time in this range; default [1_000, 1_500] ms. */
  electionTimeoutMs?: readonly [number, number]
  /** A candidate re-broadcasts its claim (or pre-claim) this often (claims and votes may be lost); default 250 ms. */
  claimRetryMs?: number
  /**
   * Ask before claiming (pre-claim / pre-vote), so that a node whose leader's Leads are only late does not leave
   * promises behind; default true. Off, a candidate claims at once: one message delay faster, for tests and for
   * comparison.
   */
  preVote?: boolean
  /**
   * Followers pledge their vote for the next term to its preferred member while the leader leads, so that when it
   * resigns they recognise the successor from the pledges they already hold, without a vote exchange; default true.
   */
  pledge?: boolean
  /**
   * Pledge only once the alive view has not changed for this long; default 3_000 ms. A pledge cannot be taken back,
   * so one cast just after a crash, before the failure detector dropped the crashed member, could go to it.
   */
  pledgeAfterStableMs?: number
  /**
   * A peer stays in the electorate (counts towards the quorum size) for this long after it was last alive in the
   * membership view; default 15_000 ms. This is the safety/availability knob: see docs/election.md. 0 = the
   * electorate is exactly the alive view.
   */
  memberTtlMs?: number
  /** After start, only listen (no votes, no claims) for this long, to learn the membership first; default 2_000 ms. */
  warmupMs?: number
  /** Leads carry the certificate this often after the first `certificateBurst`; default 1_000 ms. */
  certificateEveryMs?: number
  /**
   * The first this-many Leads of a term always carry the certificate; default 10 (3 s at 300 ms). In 20-tab swarms some
   * tabs got none of a new leader's first five Leads but did get later ones, and kept electing until the next
   * certificate 2 s later (up to 5 s behind the rest); a longer burst and a certificate every second shorten that.
   */
  certificateBurst?: number
  /**
   * How many Byzantine members to tolerate (f); default 0. Quorums become ⌊(n + f) / 2⌋ + 1 of n so that any two
   * intersect in f + 1 members, and a certificate needs f + 1 votes besides the candidate's own.
   */
  faultTolerance?: number
  /**
   * `status().term` of an earlier run with the same peer id (persist it, e.g. in localStorage, whenever it changes).
   * The node will not vote or claim at or below it, since it may have voted there already. Not needed when every
   * run gets a fresh peer id.
   */
  persistedTerm?: number
  /**
   * Checks the signature of a vote re-published inside a certificate. Votes received directly are authenticated by
   * the transport; certificate votes are not. Without this, certificates are taken on trust (crash faults only).
   */
  verifyVote?: (vote: VoteMessage) => boolean
}
