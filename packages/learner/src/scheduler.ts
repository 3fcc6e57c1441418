import type { MonotonicClock } from './trainer.ts'

/**
 * Cooperative time-slicing shared by every trainer in one realm (a worker, or a Node process with 100 learners).
 *
 * Per-trainer `setTimeout(0)` yields are not enough in Node: all due timers run back to back in one timers phase,
 * so 100 trainers each working 50 ms between yields would hold off sockets for 5 s. Here one run at a time holds
 * the current slice: a run `enter`s (or queues if another run holds the slice or its budget is spent), calls
 * `cooperate` between optimiser steps (it queues once the slice has used its budget), and `leave`s when done.
 * Queued runs resume first-in first-out, exactly one per macrotask, with the event loop's I/O in between.
 * Holding the slice across `await`s matters: an await of finished work is still a microtask hop, and without a
 * holder every other starting run would slip through the gate during it.
 */
export class SliceScheduler {
  private readonly clock: MonotonicClock
  private readonly waiting: Array<{ run: object, resume: () => void }> = []
  private holder: object | undefined
  private sliceStart: number
  private scheduled = false

  constructor (clock: MonotonicClock = { now: () => performance.now() }) {
    this.clock = clock
    this.sliceStart = clock.now()
  }

  /** Start `run` (any object identifying it): undefined if it may go on now, else a promise of its turn. */
  enter (run: object, budgetMs: number): Promise<void> | undefined {
    if ((this.holder === undefined || this.holder === run) && this.hasBudget(budgetMs)) {
      this.holder = run
      return undefined
    }
    return this.enqueue(run)
  }

  /** Between steps of `run`: undefined while the slice has budget left, else a promise of the run's next turn. */
  cooperate (run: object, budgetMs: number): Promise<void> | undefined {
    if (this.hasBudget(budgetMs)) return undefined
    if (this.holder === run) this.holder = undefined
    return this.enqueue(run)
  }

  /** `run` is finished (call it in a finally block). */
  leave (run: object): void {
    if (this.holder !== run) return
    this.holder = undefined
    if (this.waiting.length > 0) this.scheduleTurn()
  }

  /** Runs waiting for a turn. */
  get queued (): number {
    return this.waiting.length
  }

  private hasBudget (budgetMs: number): boolean {
    return this.clock.now() - this.sliceStart < budgetMs
  }

  private enqueue (run: object): Promise<void> {
    return new Promise<void>(resume => {
      this.waiting.push({ run, resume })
      this.scheduleTurn()
    })
  }

  private scheduleTurn (): void {
    if (this.scheduled) return
    this.scheduled = true
    nextMacrotask(() => {
      this.scheduled = false
      this.sliceStart = this.clock.now()
      const next = this.waiting.shift()
      if (next !== undefined) {
        // the slice goes to the next run even if a holder never left (a bug elsewhere must not starve everyone)
        this.holder = next.run
        next.resume()
      }
      if (this.waiting.length > 0) this.scheduleTurn()
    })
  }
}

/**
 * Run `fn` in a later macrotask, after pending I/O and the current task's microtasks: setImmediate in Node (check
 * phase, after the poll phase), a MessageChannel in browsers and workers (setTimeout(0) is clamped to 4 ms there once
 * nested, and aligned to whole seconds in background tabs), setTimeout otherwise.
 */
export function nextMacrotask (fn: () => void): void {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown }
  if (typeof g.setImmediate === 'function') {
    g.setImmediate(fn)
  } else if (typeof MessageChannel === 'function') {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => {
      channel.port1.close()
      fn()
    }
    channel.port2.postMessage(null)
  } else {
    setTimeout(fn, 0)
  }
}

/** The realm-wide scheduler every Trainer uses unless given its own. */
export const sharedScheduler = new SliceScheduler()
