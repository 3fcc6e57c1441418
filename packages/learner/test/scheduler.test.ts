import { describe, expect, it } from 'vitest'
import { manualClock } from '@fedmesh/protocol'
import { SliceScheduler } from '../src/index.ts'

/** A fake trainer: each step costs `stepMs` on the manual clock, then it cooperates with the scheduler. */
async function fakeTrainer (name: string, steps: number, stepMs: number, budgetMs: number, scheduler: SliceScheduler,
  clock: { advance(ms: number): void }, log: string[]): Promise<void> {
  const run = { name }
  const first = scheduler.enter(run, budgetMs)
  if (first !== undefined) await first
  try {
    for (let s = 0; s < steps; s++) {
      clock.advance(stepMs)
      log.push(name)
      await Promise.resolve() // an await of finished work, as real trainers have: must not let others in
      const turn = scheduler.cooperate(run, budgetMs)
      if (turn !== undefined) await turn
    }
  } finally {
    scheduler.leave(run)
  }
}

describe('SliceScheduler', () => {
  it('lets other macrotasks run after each shared budget, however many trainers there are', async () => {
    const clock = manualClock()
    const scheduler = new SliceScheduler(clock)
    const log: string[] = []
    // 20 trainers x 20 steps of 10 ms, 50 ms budget: per-trainer yields would let 20 x 50 ms pass before a timer
    const trainers = Array.from({ length: 20 }, (_, i) => fakeTrainer(`t${i}`, 20, 10, 50, scheduler, clock, log))
    // another macrotask queued now (like a socket callback) must not wait for the 400 steps
    const stepsBeforeProbe = await new Promise<number>(resolve => setImmediate(() => resolve(log.length)))
    await Promise.all(trainers)
    expect(log.length).toBe(400)
    // starting: t0 holds the slice for its 50 ms budget (5 steps), t1..t19 queue at the gate; then one more slice
    expect(stepsBeforeProbe).toBeGreaterThanOrEqual(5)
    expect(stepsBeforeProbe).toBeLessThanOrEqual(5 + 5)
    expect(scheduler.queued).toBe(0)
  })

  it('takes turns first-in first-out, so every trainer progresses', async () => {
    const clock = manualClock()
    const scheduler = new SliceScheduler(clock)
    const log: string[] = []
    await Promise.all(['a', 'b', 'c'].map(name => fakeTrainer(name, 6, 10, 30, scheduler, clock, log)))
    // collapse into runs: no trainer runs for more than the budget (3 steps) at a time, and runs rotate
    const runs: Array<[string, number]> = []
    for (const name of log) {
      const last = runs[runs.length - 1]
      if (last?.[0] === name) last[1]++
      else runs.push([name, 1])
    }
    expect(Math.max(...runs.map(r => r[1]))).toBeLessThanOrEqual(3)
    expect(runs.map(r => r[0])).toEqual(['a', 'b', 'c', 'a', 'b', 'c'])
  })

  it('does not yield while the slice has budget left, and lets only the holder through the gate', async () => {
    const clock = manualClock()
    const scheduler = new SliceScheduler(clock)
    const [a, b] = [{}, {}]
    clock.advance(10)
    expect(scheduler.enter(a, 50)).toBeUndefined()
    const bTurn = scheduler.enter(b, 50) // budget left, but a holds the slice
    expect(bTurn).toBeInstanceOf(Promise)
    clock.advance(39)
    expect(scheduler.cooperate(a, 50)).toBeUndefined()
    clock.advance(1)
    const aTurn = scheduler.cooperate(a, 50)
    expect(aTurn).toBeInstanceOf(Promise)
    const order: string[] = []
    await Promise.all([bTurn!.then(() => { order.push('b'); scheduler.leave(b) }), aTurn!.then(() => { order.push('a'); scheduler.leave(a) })])
    expect(order).toEqual(['b', 'a'])
    expect(scheduler.queued).toBe(0)
  })
})
