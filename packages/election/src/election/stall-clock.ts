import type { Clock } from './types.ts'

/**
 * A lease clock (ElectionConfig.leaseClock) for a node whose own thread can stand still (a saturated tab): time spent
 * stalled counts for at most `stallMs`, so a stall does not by itself run out a follower's lease.
 *
 * Why: a follower whose thread stalls for 2 s finds its leader unheard for 2 s on its first tick after the stall and
 * drops it, while the leader's Leads of those 2 s wait in its own queue, to be handled moments later; it then
 * recognises the same leader again in the same term (docs/benchmarks.md, twenty-second session).
 *
 * How: the node calls tick() on its periodic tick. From `stallMs` after the last tick this clock stands still until
 * the next one, so it never runs backwards and never jumps; in a node that ticks on time it is the base clock. Only
 * the lease uses it: as the election's clock it also slowed election timeouts and the warm-up wherever ticks came
 * late all the time (a starved process), and elections took several times longer. The cost is in detection: a leader
 * that dies while a follower is stalled is found lapsed up to (stall - stallMs) later than by the base clock. Safety
 * never rests on time (terms and quorums do, docs/election.md), so the clock changes only when elections start.
 */
export class StallClock implements Clock {
  private lastTick: number | undefined
  /** Base-clock time left out so far (the part of each stall beyond stallMs). */
  private leftOut = 0

  /** `stallMs`: Infinity leaves nothing out (the base clock). */
  constructor (private readonly base: Clock, readonly stallMs: number) {
    if (!(stallMs > 0)) throw new RangeError(`StallClock: stallMs must be a number > 0 (Infinity: leave nothing out), got ${stallMs}`)
  }

  /** The node's periodic tick ran: the time since the last one beyond stallMs is left out. Returns that gap (ms). */
  tick (): number {
    const at = this.base.now()
    const gap = this.lastTick === undefined ? 0 : at - this.lastTick
    if (gap > this.stallMs) this.leftOut += gap - this.stallMs
    this.lastTick = at
    return gap
  }

  now (): number {
    const at = this.base.now()
    const since = this.lastTick === undefined ? 0 : at - this.lastTick
    return at - this.leftOut - Math.max(0, since - this.stallMs)
  }

  /** How much base-clock time has been left out, ms (status). */
  get stalledMs (): number {
    const since = this.lastTick === undefined ? 0 : this.base.now() - this.lastTick
    return this.leftOut + Math.max(0, since - this.stallMs)
  }
}
