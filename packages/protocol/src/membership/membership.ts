import type { Clock } from '../clock.ts'
import type { HeartbeatBody, WireMessage } from '../wire/types.ts'
import { PhiAccrualDetector } from './phi-accrual.ts'

export type MemberState = 'alive' | 'suspect' | 'dead'

export interface MembershipOptions {
  clock: Clock
  /** φ at which a peer becomes suspect; default 8. */
  suspectPhi?: number
  /** φ at which a peer becomes dead; default 16. */
  deadPhi?: number
  /** Never declare dead before this much silence; default 5_000 ms. */
  minDeadMs?: number
  /** Drop a member this long after it was declared dead; default 120_000 ms. */
  forgetAfterMs?: number
  /** Inter-arrival samples per peer; default 100. */
  windowSize?: number
  /** Floor on the inter-arrival standard deviation; default 250 ms. */
  minStdDevMs?: number
  /** Silence tolerated beyond the expected interval for visible peers; default 1_000 ms. */
  acceptableHeartbeatPauseMs?: number
  /**
   * Silence tolerated beyond the expected interval while the peer says its tab is hidden. Chrome may run a
   * hidden tab's timers only once a minute (intensive throttling), so the default is 65_000 ms.
   */
  hiddenPauseMs?: number
  /** How often the app calls evaluate(); default 1_000 ms. Used to recognise our own stalls. */
  evaluationPeriodMs?: number
  /** A gap between evaluate() calls above stallFactor × evaluationPeriodMs is a local stall; default 3. */
  stallFactor?: number
  /**
   * How long a leave (a heartbeat saying `leaving`) stays in force against heartbeats numbered below it, counted from
   * the leave's own timestamp; default 60_000 ms, the wire validator's freshness window. A heartbeat numbered above
   * the leave brings the member back at once (a tab whose unload was cancelled); one numbered below it only after
   * this long (a restarted sender counting from 1 again), since until then it may be one sent before the leave.
   */
  leaveHoldMs?: number
}

export interface MemberView {
  peerId: string
  state: MemberState
  phi: number
  /** clock.now() when the last heartbeat arrived. */
  lastHeardAt: number
  heartbeats: number
  /** Interval the peer advertises. */
  intervalMs: number
  hidden: boolean
  lastSeq: number
  last?: HeartbeatBody
  /** Dead because it said it was leaving, not because it fell silent. */
  left: boolean
}

export interface MembershipChange {
  peerId: string
  from: MemberState | 'unknown'
  to: MemberState | 'forgotten'
  /** The member said it was leaving (to is 'dead'). */
  left?: true
}

interface Member {
  peerId: string
  state: MemberState
  detector: PhiAccrualDetector
  lastHeardAt: number
  heartbeats: number
  intervalMs: number
  hidden: boolean
  lastSeq: number
  lastSentAtMs: number
  last: HeartbeatBody
  deadSince: number
  /** The leave it sent, while that holds (see leaveHoldMs). */
  left?: { seq: number, sentAtMs: number }
}

/**
 * Who is in the mesh, from heartbeats, with a φ-accrual failure detector per peer.
 *
 * Background tabs are the hard part: a hidden sender's timers may fire once a minute, so while a peer says
 * it is hidden we tolerate `hiddenPauseMs` of silence; and when *our* timers were throttled (evaluate()
 * ran late), the silence during our stall is not held against anybody.
 */
export class Membership {
  private readonly self: string
  private readonly clock: Clock
  private readonly suspectPhi: number
  private readonly deadPhi: number
  private readonly minDeadMs: number
  private readonly forgetAfterMs: number
  private readonly windowSize: number
  private readonly minStdDevMs: number
  private readonly acceptablePauseMs: number
  private readonly hiddenPauseMs: number
  private readonly evaluationPeriodMs: number
  private readonly stallFactor: number
  private readonly leaveHoldMs: number
  private readonly members = new Map<string, Member>()
  private lastEvaluateAt: number | undefined

  constructor (self: string, opts: MembershipOptions) {
    if (opts?.clock === undefined) throw new TypeError('Membership needs opts.clock ({ now(), wallNow() })')
    this.self = self
    this.clock = opts.clock
    this.suspectPhi = opts.suspectPhi ?? 8
    this.deadPhi = opts.deadPhi ?? 16
    this.minDeadMs = opts.minDeadMs ?? 5_000
    this.forgetAfterMs = opts.forgetAfterMs ?? 120_000
    this.windowSize = opts.windowSize ?? 100
    this.minStdDevMs = opts.minStdDevMs ?? 250
    this.acceptablePauseMs = opts.acceptableHeartbeatPauseMs ?? 1_000
    this.hiddenPauseMs = opts.hiddenPauseMs ?? 65_000
    this.evaluationPeriodMs = opts.evaluationPeriodMs ?? 1_000
    this.stallFactor = opts.stallFactor ?? 3
    this.leaveHoldMs = opts.leaveHoldMs ?? 60_000
    if (!(this.suspectPhi > 0 && this.deadPhi > this.suspectPhi)) {
      throw new RangeError(`need 0 < suspectPhi < deadPhi, got suspectPhi=${this.suspectPhi} deadPhi=${this.deadPhi}`)
    }
    if (!(this.evaluationPeriodMs > 0)) throw new RangeError(`evaluationPeriodMs must be > 0, got ${this.evaluationPeriodMs}`)
    if (!(this.stallFactor > 1)) throw new RangeError(`stallFactor must be > 1, got ${this.stallFactor}`)
  }

  /** A validated heartbeat arrived (at clock.now()). Returns the state change it caused, if any. */
  observe (msg: WireMessage): MembershipChange | undefined {
    const body = msg.heartbeat
    if (body === undefined || msg.sender === this.self) return undefined
    const now = this.clock.now()
    const member = this.members.get(msg.sender)
    if (body.leaving === true) return this.leave(msg, member, now)

    if (member === undefined) {
      this.add(msg, body, now).detector.heartbeat(now)
      return { peerId: msg.sender, from: 'unknown', to: 'alive' }
    }

    // gossipsub can deliver out of order; an older heartbeat says nothing about *now*. A lower seq with a
    // later timestamp is a restarted sender, which counts.
    if (msg.seq <= member.lastSeq && msg.sentAtMs <= member.lastSentAtMs) return undefined
    if (member.left !== undefined) {
      // sent before the leave (numbered below it), though it may have arrived after it
      if (msg.seq <= member.left.seq && msg.sentAtMs < member.left.sentAtMs + this.leaveHoldMs) return undefined
      member.left = undefined
    }

    const previous = member.state
    if (previous === 'dead' || body.hidden !== member.hidden || body.intervalMs !== member.intervalMs) {
      // New timing regime (revived, tab hidden/shown, interval changed): old samples would mislead.
      // Revival also must not record the whole outage as one inter-arrival sample.
      member.detector = this.newDetector(body.intervalMs)
    }
    member.detector.heartbeat(now)
    member.lastHeardAt = now
    member.heartbeats++
    member.intervalMs = body.intervalMs
    member.hidden = body.hidden
    member.lastSeq = msg.seq
    member.lastSentAtMs = msg.sentAtMs
    member.last = body
    member.state = 'alive'
    return previous === 'alive' ? undefined : { peerId: msg.sender, from: previous, to: 'alive' }
  }

  /**
   * The sender says it is leaving: dead now, without waiting out the failure detector. Its leave is numbered above
   * every heartbeat it sent before (the sender reserves the number ahead), so those heartbeats, arriving late by
   * another path, do not bring it back. A sender never heard before is remembered as left, for the same reason.
   */
  private leave (msg: WireMessage, member: Member | undefined, now: number): MembershipChange | undefined {
    if (member === undefined) {
      // a leave is not a heartbeat: none counted, and dead from the start
      const added = this.add(msg, msg.heartbeat as HeartbeatBody, now)
      added.state = 'dead'
      added.heartbeats = 0
      added.deadSince = now
      added.left = { seq: msg.seq, sentAtMs: msg.sentAtMs }
      return undefined
    }
    // a copy of a leave already taken, or one older than what was heard since (a restarted sender's previous run)
    if (msg.seq <= member.lastSeq && msg.sentAtMs <= member.lastSentAtMs) return undefined
    member.lastSeq = Math.max(member.lastSeq, msg.seq)
    member.lastSentAtMs = Math.max(member.lastSentAtMs, msg.sentAtMs)
    member.left = { seq: msg.seq, sentAtMs: msg.sentAtMs }
    const previous = member.state
    if (previous === 'dead') return undefined
    member.state = 'dead'
    member.deadSince = now
    return { peerId: msg.sender, from: previous, to: 'dead', left: true }
  }

  /** A member first heard now: alive, with this one heartbeat (the caller records its arrival). */
  private add (msg: WireMessage, body: HeartbeatBody, now: number): Member {
    const member: Member = {
      peerId: msg.sender,
      state: 'alive',
      detector: this.newDetector(body.intervalMs),
      lastHeardAt: now,
      heartbeats: 1,
      intervalMs: body.intervalMs,
      hidden: body.hidden,
      lastSeq: msg.seq,
      lastSentAtMs: msg.sentAtMs,
      last: body,
      deadSince: 0
    }
    this.members.set(msg.sender, member)
    return member
  }

  /** Recomputes φ and states; call every evaluationPeriodMs. Changes come sorted by peer id. */
  evaluate (): MembershipChange[] {
    const now = this.clock.now()
    this.excuseLocalStall(now)
    this.lastEvaluateAt = now

    const changes: MembershipChange[] = []
    for (const member of this.sortedMembers()) {
      if (member.state === 'dead') {
        if (now - member.deadSince >= this.forgetAfterMs) {
          this.members.delete(member.peerId)
          changes.push({ peerId: member.peerId, from: 'dead', to: 'forgotten' })
        }
        continue
      }
      const phi = this.phiOf(member, now)
      const silence = now - (member.detector.lastHeartbeatAt ?? member.lastHeardAt)
      let next: MemberState = 'alive'
      if (phi >= this.deadPhi && silence >= this.minDeadMs) next = 'dead'
      else if (phi >= this.suspectPhi) next = 'suspect'
      if (next !== member.state) {
        changes.push({ peerId: member.peerId, from: member.state, to: next })
        member.state = next
        if (next === 'dead') member.deadSince = now
      }
    }
    return changes
  }

  /** Forget a peer at once (e.g. the app learned it left). */
  remove (peerId: string): void {
    this.members.delete(peerId)
  }

  get (peerId: string): MemberView | undefined {
    const member = this.members.get(peerId)
    return member === undefined ? undefined : this.view(member, this.clock.now())
  }

  /** All members, sorted by peer id. */
  list (): MemberView[] {
    const now = this.clock.now()
    return this.sortedMembers().map(m => this.view(m, now))
  }

  counts (): { alive: number, suspect: number, dead: number } {
    const counts = { alive: 0, suspect: 0, dead: 0 }
    for (const member of this.members.values()) counts[member.state]++
    return counts
  }

  /**
   * If evaluate() ran much later than scheduled, our own timers were throttled or the tab was frozen.
   * Silence after the moment the evaluation was due is then our fault, so it is discounted for every
   * peer (by moving its last arrival later); silence before that still counts.
   */
  private excuseLocalStall (now: number): void {
    if (this.lastEvaluateAt === undefined) return
    const gap = now - this.lastEvaluateAt
    if (gap <= this.stallFactor * this.evaluationPeriodMs) return
    const dueAt = this.lastEvaluateAt + this.evaluationPeriodMs
    for (const member of this.members.values()) {
      const last = member.detector.lastHeartbeatAt
      if (last === undefined) continue
      const excused = now - Math.max(last, dueAt)
      if (excused > 0) member.detector.discountSilence(excused, now)
    }
  }

  private phiOf (member: Member, now: number): number {
    return member.detector.phi(now, {
      expectedIntervalMs: member.intervalMs,
      pauseMs: member.hidden ? Math.max(this.hiddenPauseMs, this.acceptablePauseMs) : this.acceptablePauseMs
    })
  }

  private newDetector (intervalMs: number): PhiAccrualDetector {
    return new PhiAccrualDetector({
      windowSize: this.windowSize,
      minStdDevMs: this.minStdDevMs,
      acceptableHeartbeatPauseMs: this.acceptablePauseMs,
      // validated heartbeats always carry 50..600_000; stay usable if handed something unvalidated
      firstHeartbeatEstimateMs: Number.isFinite(intervalMs) && intervalMs > 0 ? intervalMs : undefined
    })
  }

  private sortedMembers (): Member[] {
    return [...this.members.values()].sort((a, b) => a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0)
  }

  private view (member: Member, now: number): MemberView {
    return {
      peerId: member.peerId,
      state: member.state,
      phi: this.phiOf(member, now),
      lastHeardAt: member.lastHeardAt,
      heartbeats: member.heartbeats,
      intervalMs: member.intervalMs,
      hidden: member.hidden,
      lastSeq: member.lastSeq,
      last: member.last,
      left: member.left !== undefined
    }
  }
}
