import type { RoundOpen } from '@fedmesh/updates'
import type { Verdict } from '../types.ts'

export interface ActiveRound {
  open: RoundOpen
  receivedAt: number
  deadlineAt: number
}

export type OpenDecision =
  /** Follow it now (`underLapsedLease`: its coordinator is still the election's leader, whose lease lapsed here). */
  | { action: 'apply', underLapsedLease?: true }
  /** Keep it until the election confirms its sender, or until this node holds its base model. */
  | { action: 'park', reason: 'unconfirmed-leader' | 'awaiting-model' }
  | { action: 'drop', verdict: Exclude<Verdict, 'accept'>, reason: string, detail: string }

/**
 * The participant's view of the session (design steps 1, 2 and 6): which coordinator it follows (the leader the
 * election names, fenced by term), which round is open and whether it has trained for it.
 */
export class RoundParticipant {
  /** Highest term seen from the election or from a followed coordinator. */
  term = 0
  /** The leader the election names, and its term. */
  leader: string | undefined
  leaderTerm: number | undefined
  active: ActiveRound | undefined
  /** Round announcements followed, by `${round}/${term}`: a global model is checked against its round's. */
  private readonly followed = new Map<string, RoundOpen>()
  private parked: RoundOpen[] = []
  private readonly trained = new Set<number>()

  /**
   * `stillLeads`: whether the election still takes `peer` as the leader of `term` (not resigned, not replaced, not
   * excluded) while this node's lease on it has lapsed (RoundSessionConfig.stillLeads).
   */
  constructor (private readonly stillLeads?: (term: number, peer: string) => boolean) {}

  /** From the election's 'leader-changed' event. */
  onLeader (term: number, leader: string | undefined): void {
    if (term > this.term) this.term = term
    this.leader = leader
    this.leaderTerm = leader === undefined ? undefined : term
  }

  /** Whether to follow a round announcement signed by its coordinator, given the model this node holds. */
  classify (open: RoundOpen, modelVersion: number, awaitingVersion: boolean): OpenDecision {
    if (open.term < this.term) return { action: 'drop', verdict: 'ignore', reason: 'stale-term', detail: `term ${open.term}, this node is at term ${this.term}` }
    if (this.leaderTerm === open.term && this.leader !== open.coordinator) {
      return { action: 'drop', verdict: 'reject', reason: 'not-leader', detail: `${open.coordinator} opened round ${open.round} in term ${open.term}, led by ${this.leader}` }
    }
    // A lapsed lease is no new leader: under load Leads come late, and the same leader is recognised again in the same
    // term moments later (most lapses at 20 tabs on 2 cores). Its announcements are followed meanwhile.
    const confirmed = this.leaderTerm === open.term && this.leader === open.coordinator
    const lapsed = !confirmed && this.leader === undefined && open.term === this.term && this.stillLeads?.(open.term, open.coordinator) === true
    if (!confirmed && !lapsed) return { action: 'park', reason: 'unconfirmed-leader' }
    const a = this.active
    if (a !== undefined && a.open.round === open.round && a.open.term === open.term) return { action: 'drop', verdict: 'ignore', reason: 'duplicate', detail: `round ${open.round} term ${open.term} already open` }
    if (open.round < modelVersion) return { action: 'drop', verdict: 'ignore', reason: 'stale-round', detail: `round ${open.round}, this node holds model v${modelVersion}` }
    if (open.round > modelVersion + 1 && awaitingVersion) return { action: 'park', reason: 'awaiting-model' }
    return lapsed ? { action: 'apply', underLapsedLease: true } : { action: 'apply' }
  }

  park (open: RoundOpen): void {
    // the latest few are enough: a coordinator re-announces, and an older term is superseded anyway
    this.parked = [...this.parked.filter(p => !(p.round === open.round && p.term === open.term && p.coordinator === open.coordinator)), open].slice(-8)
  }

  /** Parked announcements, dropped from the parking lot (the caller re-classifies them). */
  unpark (): RoundOpen[] {
    const out = this.parked
    this.parked = []
    return out.sort((a, b) => a.term - b.term || a.round - b.round)
  }

  /** Whether an announcement of (round, term) by `coordinator` is parked here. */
  isParked (round: number, term: number, coordinator: string): boolean {
    return this.parked.some(p => p.round === round && p.term === term && p.coordinator === coordinator)
  }

  get parkedCount (): number {
    return this.parked.length
  }

  follow (open: RoundOpen, now: number): { failover: boolean } {
    const previous = this.active
    const failover = previous !== undefined && previous.open.round === open.round && previous.open.term < open.term
    this.active = { open, receivedAt: now, deadlineAt: now + open.deadlineMs }
    this.followed.set(`${open.round}/${open.term}`, open)
    if (open.term > this.term) this.term = open.term
    return { failover }
  }

  /** The announcement a model of (round, term) by `coordinator` closes, if this node followed it. */
  followedOpen (round: number, term: number, coordinator: string): RoundOpen | undefined {
    const o = this.followed.get(`${round}/${term}`)
    return o?.coordinator === coordinator ? o : undefined
  }

  /** True once per round, when this node should start training for it. */
  shouldTrain (round: number): boolean {
    if (this.trained.has(round)) return false
    this.trained.add(round)
    return true
  }

  /** A model for version v was accepted: round v is over. */
  roundDone (version: number): void {
    if (this.active !== undefined && this.active.open.round <= version) this.active = undefined
    for (const key of [...this.followed.keys()]) if (Number(key.split('/')[0]) < version) this.followed.delete(key)
    for (const r of [...this.trained]) if (r <= version) this.trained.delete(r)
  }
}
